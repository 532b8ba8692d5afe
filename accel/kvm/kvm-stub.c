/*
 * The KVM accelerator in a build for a host where it is not implemented:
 * -accel kvm says so.
 */
#include "proteus/error.h"
#include "proteus/kvm.h"

bool kvm_init(const char *arch, GError **errp)
{
    error_setg(errp, "-accel kvm: not available in this build (KVM needs an x86-64 "
               "Linux host)");
    return false;
}

bool kvm_enabled(void)
{
    return false;
}

bool kvm_init_vcpus(GError **errp)
{
    return true;
}

bool kvm_ioeventfds_enabled(void)
{
    return false;
}
