/*
 * Floating-point benchmark: a direct-summation n-body simulation of a
 * few bodies with a symplectic Euler step, plus a Mandelbrot escape-time
 * count. Double multiplies, adds, divides and square roots in dependent
 * chains. Built with -ffp-contract=off so every architecture rounds the
 * same way and the checksum (the bits of the results) can be compared.
 */
#include <math.h>
#include <string.h>

#include "bench-user.h"

#define BODIES 5
#define STEPS (6 * 1000 * 1000)
#define MANDEL_SIZE 400
#define MANDEL_ITER 200

typedef struct Body {
    double x, y, z, vx, vy, vz, mass;
} Body;

static void step(Body *b, double dt)
{
    for (int i = 0; i < BODIES; i++) {
        for (int j = i + 1; j < BODIES; j++) {
            double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y;
            double dz = b[i].z - b[j].z;
            double d2 = dx * dx + dy * dy + dz * dz;
            double mag = dt / (d2 * sqrt(d2));
            b[i].vx -= dx * b[j].mass * mag;
            b[i].vy -= dy * b[j].mass * mag;
            b[i].vz -= dz * b[j].mass * mag;
            b[j].vx += dx * b[i].mass * mag;
            b[j].vy += dy * b[i].mass * mag;
            b[j].vz += dz * b[i].mass * mag;
        }
    }
    for (int i = 0; i < BODIES; i++) {
        b[i].x += dt * b[i].vx;
        b[i].y += dt * b[i].vy;
        b[i].z += dt * b[i].vz;
    }
}

static double energy(const Body *b)
{
    double e = 0;

    for (int i = 0; i < BODIES; i++) {
        e += 0.5 * b[i].mass *
             (b[i].vx * b[i].vx + b[i].vy * b[i].vy + b[i].vz * b[i].vz);
        for (int j = i + 1; j < BODIES; j++) {
            double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y;
            double dz = b[i].z - b[j].z;
            e -= b[i].mass * b[j].mass / sqrt(dx * dx + dy * dy + dz * dz);
        }
    }
    return e;
}

static uint64_t bits_of(double d)
{
    uint64_t u;

    memcpy(&u, &d, sizeof(u));
    return u;
}

static uint64_t mandelbrot(void)
{
    uint64_t total = 0;

    for (int py = 0; py < MANDEL_SIZE; py++) {
        for (int px = 0; px < MANDEL_SIZE; px++) {
            double cr = -2.0 + 2.5 * px / MANDEL_SIZE;
            double ci = -1.25 + 2.5 * py / MANDEL_SIZE;
            double zr = 0, zi = 0;
            int n = 0;
            while (n < MANDEL_ITER && zr * zr + zi * zi <= 4.0) {
                double t = zr * zr - zi * zi + cr;
                zi = 2 * zr * zi + ci;
                zr = t;
                n++;
            }
            total = total * 31 + n;
        }
    }
    return total;
}

int main(void)
{
    Body bodies[BODIES];
    BenchRng rng = { 2024 };
    uint64_t sum;

    for (int i = 0; i < BODIES; i++) {
        double *f = &bodies[i].x;
        for (int k = 0; k < 6; k++) {
            f[k] = (double)(bench_rng_next(&rng) >> 11) / (1ull << 53) * 10 - 5;
        }
        bodies[i].vx *= 0.01;
        bodies[i].vy *= 0.01;
        bodies[i].vz *= 0.01;
        bodies[i].mass = 1 + i;
    }
    bodies[0].mass = 1000;
    sum = bits_of(energy(bodies));
    for (int s = 0; s < STEPS; s++) {
        step(bodies, 1e-5);
    }
    sum ^= bits_of(energy(bodies)) * 3;
    sum ^= mandelbrot() * 5;
    bench_print_checksum("nbody", sum);
    return 0;
}
