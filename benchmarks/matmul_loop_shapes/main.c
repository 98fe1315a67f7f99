/* Times the three matmul inner-loop shapes of loops.S on one anonymous mapping laid out like the wasm
 * kernel's memory (A at 0, B at n*n*8, C after it).  Usage: ./mm N [thp]; "thp" asks for transparent huge
 * pages.  Build: cc -O2 main.c loops.S -o mm (x86-64). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
double ours(char*, long, unsigned, int); double nochk(char*, long, unsigned, int); double crane(char*, long, unsigned, int);
static double now(){struct timespec t;clock_gettime(CLOCK_THREAD_CPUTIME_ID,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(int argc,char**argv){
  unsigned n=atoi(argv[1]); long size=32<<16;
  char*m=mmap(0,size,PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0);
  if(argc>2) madvise(m,size,MADV_HUGEPAGE);
  double*d=(double*)m; unsigned nn=n*n;
  for(unsigned i=0;i<nn;i++){d[i]=i%7; d[i+nn]=i%5;}
  double (*f[3])(char*,long,unsigned,int)={ours,nochk,crane}; const char*nm[3]={"ours","nochk","crane"};
  for(int rep=0;rep<3;rep++) for(int k=0;k<3;k++){ double best=1e9,r=0; for(int t=0;t<5;t++){double a=now(); r=f[k](m,size-8,n,1); double b=now()-a; if(b<best)best=b;} printf("%s %.4f %.1f\n",nm[k],best,r);}
}
