/*
 * POSIX threads test for a user-mode emulator: a mutex-protected counter
 * and an atomic counter hammered by 8 threads, a compare-and-swap loop,
 * a producer/consumer queue on condition variables, join values, thread
 * exit values, barriers, pthread_once, thread-local storage and
 * thread-specific data destructors. The output only holds totals, so it
 * does not depend on scheduling.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NTHREADS 8
#define ITERATIONS 100000

static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static long locked_counter;
static long atomic_counter;
static uint32_t atomic_word;
static long max_seen;

static void record_max(long value)
{
    long old = __atomic_load_n(&max_seen, __ATOMIC_RELAXED);

    while (old < value &&
           !__atomic_compare_exchange_n(&max_seen, &old, value, 1,
                                        __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
    }
}

static void *hammer(void *arg)
{
    long id = (long)arg;

    for (int i = 0; i < ITERATIONS; i++) {
        pthread_mutex_lock(&counter_lock);
        locked_counter++;
        pthread_mutex_unlock(&counter_lock);
        __atomic_fetch_add(&atomic_counter, 1, __ATOMIC_SEQ_CST);
        __atomic_fetch_add(&atomic_word, 3, __ATOMIC_RELAXED);
        record_max(id * ITERATIONS + i);
    }
    return (void *)(id * id);
}

static void test_counters(void)
{
    pthread_t threads[NTHREADS];
    long join_sum = 0;

    for (long i = 0; i < NTHREADS; i++) {
        pthread_create(&threads[i], NULL, hammer, (void *)i);
    }
    for (int i = 0; i < NTHREADS; i++) {
        void *result;
        pthread_join(threads[i], &result);
        printf("thread %d returned %ld\n", i, (long)result);
        join_sum += (long)result;
    }
    printf("mutex counter %ld\n", locked_counter);
    printf("atomic counter %ld\n", atomic_counter);
    printf("atomic word %u\n", atomic_word);
    printf("max seen %ld\n", max_seen);
    printf("join sum %ld\n", join_sum);
}

/* A bounded queue, too small for the producer to run ahead for long. */
#define QUEUE_SIZE 4
#define ITEMS 2000
#define CONSUMERS 3

static struct {
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
    long items[QUEUE_SIZE];
    int head, count;
    int done;
} queue = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .not_empty = PTHREAD_COND_INITIALIZER,
    .not_full = PTHREAD_COND_INITIALIZER,
};

static void *produce(void *arg)
{
    for (long v = 1; v <= ITEMS; v++) {
        pthread_mutex_lock(&queue.lock);
        while (queue.count == QUEUE_SIZE) {
            pthread_cond_wait(&queue.not_full, &queue.lock);
        }
        queue.items[(queue.head + queue.count) % QUEUE_SIZE] = v;
        queue.count++;
        pthread_cond_signal(&queue.not_empty);
        pthread_mutex_unlock(&queue.lock);
    }
    pthread_mutex_lock(&queue.lock);
    queue.done = 1;
    pthread_cond_broadcast(&queue.not_empty);
    pthread_mutex_unlock(&queue.lock);
    return arg;
}

typedef struct ConsumerResult {
    long sum, count;
} ConsumerResult;

static void *consume(void *arg)
{
    ConsumerResult *res = arg;

    for (;;) {
        pthread_mutex_lock(&queue.lock);
        while (queue.count == 0 && !queue.done) {
            pthread_cond_wait(&queue.not_empty, &queue.lock);
        }
        if (queue.count == 0) {
            pthread_mutex_unlock(&queue.lock);
            return NULL;
        }
        long v = queue.items[queue.head];
        queue.head = (queue.head + 1) % QUEUE_SIZE;
        queue.count--;
        pthread_cond_signal(&queue.not_full);
        pthread_mutex_unlock(&queue.lock);
        res->sum += v;
        res->count++;
    }
}

static void test_producer_consumer(void)
{
    pthread_t producer, consumers[CONSUMERS];
    ConsumerResult results[CONSUMERS] = { { 0, 0 } };
    long sum = 0, count = 0;

    for (int i = 0; i < CONSUMERS; i++) {
        pthread_create(&consumers[i], NULL, consume, &results[i]);
    }
    pthread_create(&producer, NULL, produce, NULL);
    pthread_join(producer, NULL);
    for (int i = 0; i < CONSUMERS; i++) {
        pthread_join(consumers[i], NULL);
        sum += results[i].sum;
        count += results[i].count;
    }
    printf("consumed %ld items, sum %ld\n", count, sum);
}

static __thread long tls_value = 7;
static __thread char tls_buffer[64];
static pthread_barrier_t barrier;
static pthread_key_t key;
static long destructor_calls;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_calls;

static void count_once(void)
{
    once_calls++;
}

static void on_key_destroyed(void *value)
{
    __atomic_fetch_add(&destructor_calls, (long)value, __ATOMIC_SEQ_CST);
}

static void *use_thread_locals(void *arg)
{
    long id = (long)arg;
    int ok;

    pthread_once(&once, count_once);
    ok = tls_value == 7 && tls_buffer[0] == 0;
    tls_value = 100 + id;
    tls_buffer[0] = 'a' + id;
    pthread_setspecific(key, (void *)id);
    /* All threads have written their copies before any checks its own. */
    pthread_barrier_wait(&barrier);
    ok = ok && tls_value == 100 + id && tls_buffer[0] == 'a' + id &&
         (long)pthread_getspecific(key) == id;
    ok = ok && syscall(SYS_gettid) != getpid();
    if (id == NTHREADS - 1) {
        pthread_exit((void *)(long)(ok ? 1000 : -1000));
    }
    return (void *)(long)ok;
}

static void test_thread_locals(void)
{
    pthread_t threads[NTHREADS];
    pthread_attr_t attr;
    long ok = 0;

    pthread_barrier_init(&barrier, NULL, NTHREADS);
    pthread_key_create(&key, on_key_destroyed);
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    tls_value = 5;
    for (long i = 0; i < NTHREADS; i++) {
        pthread_create(&threads[i], &attr, use_thread_locals, (void *)i);
    }
    for (int i = 0; i < NTHREADS; i++) {
        void *result;
        pthread_join(threads[i], &result);
        ok += (long)result;
    }
    printf("thread-local checks %ld (want %d)\n", ok, NTHREADS - 1 + 1000);
    printf("main thread tls %ld\n", tls_value);
    printf("pthread_once calls %d\n", once_calls);
    printf("key destructor sum %ld\n", destructor_calls);
    pthread_attr_destroy(&attr);
    pthread_barrier_destroy(&barrier);
    pthread_key_delete(key);
}

int main(void)
{
    test_counters();
    test_producer_consumer();
    test_thread_locals();
    return 0;
}
