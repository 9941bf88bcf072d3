
/* Threads (pthreads): as many as OpenBLAS is set to use at call time (the library the
   module links; weak: another BLAS, or none, gives 1), at most one per row of the batch,
   and only for calls with enough work.  Thread k takes rows [k n / nt, (k + 1) n / nt):
   the rows of a batch are independent, so the threads never wait for each other during
   the recurrence; the only barrier is after the shared weight packing.  Each element's
   sums run in the same order whatever the thread count (bit-identical results). */
#include <pthread.h>
#include <sched.h>
#ifndef KL_LSTM_THREADS_DECL
#define KL_LSTM_THREADS_DECL 1
#ifdef __cplusplus
extern "C" {
#endif
int scipy_openblas_get_num_threads(void) __attribute__((weak));
int openblas_get_num_threads(void) __attribute__((weak));
#ifdef __cplusplus
}
#endif
#endif
#define KL_MAXT_${nm} 64
/* multiply-adds per thread below which one more thread does not pay for its start */
#define KL_MT_WORK_${nm} 4.0e6
static int kl_threads_${nm}(int n, double work) {
  int nt = 1;
  if (scipy_openblas_get_num_threads) nt = scipy_openblas_get_num_threads();
  else if (openblas_get_num_threads) nt = openblas_get_num_threads();
  if (nt > KL_MAXT_${nm}) nt = KL_MAXT_${nm};
  if (nt > n) nt = n;
  while (nt > 1 && work < KL_MT_WORK_${nm} * nt) --nt;
  return nt < 1 ? 1 : nt;
}
/* rows [lo, hi) of thread k of nt */
static inline void kl_rows_${nm}(int n, int k, int nt, int* lo, int* hi) {
  *lo = (int)((long long)n * k / nt);
  *hi = (int)((long long)n * (k + 1) / nt);
}
/* rows of the tile starting at r0: 6 (the last one what is left) on one thread; with
   several, the rows of a thread spread evenly over as few tiles (32 rows: 6,6,5,5,5,5) */
static inline int kl_tile_${nm}(int r0, int hi, int nt) {
  const int left = hi - r0;
  if (nt < 2) return left < 6 ? left : 6;
  const int tiles = (left + 5) / 6;
  return (left + tiles - 1) / tiles;
}
struct kl_team_${nm} {
  void (*fn)(void*, int, struct kl_team_${nm}*);
  void* arg;
  int nt, ready, arrived;
};
struct kl_member_${nm} { struct kl_team_${nm}* team; int k; };
static void kl_wait_${nm}(int* p, int v) {
  for (int s = 0; __atomic_load_n(p, __ATOMIC_ACQUIRE) < v; ++s) {
    if (s < 4096) KV_PAUSE(); else sched_yield();
  }
}
/* all nt members here (once per call) */
static void kl_barrier_${nm}(struct kl_team_${nm}* tm) {
  if (tm->nt < 2) return;
  __atomic_add_fetch(&tm->arrived, 1, __ATOMIC_ACQ_REL);
  kl_wait_${nm}(&tm->arrived, tm->nt);
}
static void* kl_member_main_${nm}(void* p) {
  struct kl_member_${nm}* m = (struct kl_member_${nm}*)p;
  kl_wait_${nm}(&m->team->ready, 1);  /* the team's size is known */
  if (m->k < m->team->nt) m->team->fn(m->team->arg, m->k, m->team);
  return NULL;
}
/* fn(arg, k, team) for k = 0..nt-1, k = 0 on this thread; fewer if a thread cannot start */
static void kl_run_${nm}(void (*fn)(void*, int, struct kl_team_${nm}*), void* arg, int nt) {
  pthread_t th[KL_MAXT_${nm}];
  struct kl_member_${nm} mem[KL_MAXT_${nm}];
  struct kl_team_${nm} tm;
  tm.fn = fn; tm.arg = arg; tm.nt = 1; tm.ready = 0; tm.arrived = 0;
  int started = 1;
  for (; started < nt; ++started) {
    mem[started].team = &tm;
    mem[started].k = started;
    if (pthread_create(&th[started], NULL, kl_member_main_${nm}, &mem[started])) break;
  }
  tm.nt = started;
  __atomic_store_n(&tm.ready, 1, __ATOMIC_RELEASE);
  fn(arg, 0, &tm);
  for (int k = 1; k < started; ++k) pthread_join(th[k], NULL);
}
