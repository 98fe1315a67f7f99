/* Clocks: realtime is after 2020, monotonic never goes back, a 20 ms sleep takes at least 20 ms. */
#include <stdio.h>
#include <time.h>

static long long ns(struct timespec t) { return (long long)t.tv_sec * 1000000000LL + t.tv_nsec; }

int main(void) {
  struct timespec rt, m1, m2, res;
  clock_gettime(CLOCK_REALTIME, &rt);
  printf("realtime after 2020: %s\n", rt.tv_sec > 1577836800 ? "yes" : "no");
  clock_gettime(CLOCK_MONOTONIC, &m1);
  struct timespec nap = {0, 20 * 1000000};
  int rc = nanosleep(&nap, NULL);
  clock_gettime(CLOCK_MONOTONIC, &m2);
  printf("nanosleep: %s\n", rc == 0 ? "OK" : "failed");
  printf("monotonic advanced >= 20ms: %s\n", ns(m2) - ns(m1) >= 20000000LL ? "yes" : "no");
  printf("resolution positive: %s\n", clock_getres(CLOCK_MONOTONIC, &res) == 0 && ns(res) > 0 ? "yes" : "no");
  return 0;
}
