/*
** A small in-memory VFS for SQLite builds with SQLITE_OS_OTHER=1.
**
** Why: SQLite's unix VFS does not compile for WASI, and the perf comparison must build the same
** amalgamation with the same flags for every target (native64, native32, wasm32).  speedtest1 runs
** with --memdb, so the database itself never touches a file; this VFS only has to hold the odd
** temporary file and answer the clock and randomness questions.  Every target gets this same VFS.
**
** Files live in a linked list of named buffers; a NULL name is an anonymous temp file that disappears
** on close.  Locking is a no-op (single-threaded builds).  Randomness is a fixed-seed generator so
** that every target produces the same output.
*/
#include "sqlite3.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct MemData MemData;
struct MemData {
  char *zName;            /* NULL for anonymous temp files */
  unsigned char *a;       /* content */
  sqlite3_int64 n;        /* bytes used */
  sqlite3_int64 nAlloc;   /* bytes allocated */
  int nRef;               /* open handles */
  MemData *pNext;         /* list of named files */
};

typedef struct MemFile MemFile;
struct MemFile {
  sqlite3_file base;
  MemData *pData;
};

static MemData *memFiles = 0;
static unsigned int memSeed = 0x2545F491u;

static MemData *memFind(const char *zName){
  MemData *p;
  for(p=memFiles; p; p=p->pNext){
    if( p->zName && strcmp(p->zName, zName)==0 ) return p;
  }
  return 0;
}

static void memUnlink(MemData *pData){
  MemData **pp;
  for(pp=&memFiles; *pp; pp=&(*pp)->pNext){
    if( *pp==pData ){ *pp = pData->pNext; return; }
  }
}

static void memFree(MemData *pData){
  free(pData->a);
  free(pData->zName);
  free(pData);
}

static int memClose(sqlite3_file *pFile){
  MemFile *p = (MemFile*)pFile;
  MemData *d = p->pData;
  d->nRef--;
  if( d->nRef<=0 && d->zName==0 ) memFree(d);
  return SQLITE_OK;
}

static int memRead(sqlite3_file *pFile, void *zBuf, int iAmt, sqlite3_int64 iOfst){
  MemData *d = ((MemFile*)pFile)->pData;
  if( iOfst>=d->n ){
    memset(zBuf, 0, iAmt);
    return SQLITE_IOERR_SHORT_READ;
  }
  if( iOfst+iAmt>d->n ){
    sqlite3_int64 have = d->n - iOfst;
    memcpy(zBuf, d->a+iOfst, (size_t)have);
    memset((char*)zBuf+have, 0, (size_t)(iAmt-have));
    return SQLITE_IOERR_SHORT_READ;
  }
  memcpy(zBuf, d->a+iOfst, iAmt);
  return SQLITE_OK;
}

static int memGrow(MemData *d, sqlite3_int64 nNeed){
  if( nNeed>d->nAlloc ){
    sqlite3_int64 nNew = d->nAlloc ? d->nAlloc*2 : 65536;
    unsigned char *aNew;
    while( nNew<nNeed ) nNew *= 2;
    aNew = realloc(d->a, (size_t)nNew);
    if( aNew==0 ) return SQLITE_IOERR_NOMEM;
    memset(aNew+d->nAlloc, 0, (size_t)(nNew-d->nAlloc));
    d->a = aNew;
    d->nAlloc = nNew;
  }
  return SQLITE_OK;
}

static int memWrite(sqlite3_file *pFile, const void *z, int iAmt, sqlite3_int64 iOfst){
  MemData *d = ((MemFile*)pFile)->pData;
  if( memGrow(d, iOfst+iAmt) ) return SQLITE_IOERR_NOMEM;
  memcpy(d->a+iOfst, z, iAmt);
  if( iOfst+iAmt>d->n ) d->n = iOfst+iAmt;
  return SQLITE_OK;
}

static int memTruncate(sqlite3_file *pFile, sqlite3_int64 size){
  MemData *d = ((MemFile*)pFile)->pData;
  if( size<d->n ) d->n = size;
  return SQLITE_OK;
}

static int memSync(sqlite3_file *pFile, int flags){ (void)pFile; (void)flags; return SQLITE_OK; }

static int memFileSize(sqlite3_file *pFile, sqlite3_int64 *pSize){
  *pSize = ((MemFile*)pFile)->pData->n;
  return SQLITE_OK;
}

static int memLock(sqlite3_file *pFile, int eLock){ (void)pFile; (void)eLock; return SQLITE_OK; }
static int memUnlock(sqlite3_file *pFile, int eLock){ (void)pFile; (void)eLock; return SQLITE_OK; }
static int memCheckReservedLock(sqlite3_file *pFile, int *pResOut){ (void)pFile; *pResOut = 0; return SQLITE_OK; }
static int memFileControl(sqlite3_file *pFile, int op, void *pArg){ (void)pFile; (void)op; (void)pArg; return SQLITE_NOTFOUND; }
static int memSectorSize(sqlite3_file *pFile){ (void)pFile; return 512; }
static int memDeviceCharacteristics(sqlite3_file *pFile){ (void)pFile; return 0; }

static const sqlite3_io_methods memIoMethods = {
  1, memClose, memRead, memWrite, memTruncate, memSync, memFileSize, memLock, memUnlock,
  memCheckReservedLock, memFileControl, memSectorSize, memDeviceCharacteristics,
  0, 0, 0, 0, 0, 0
};

static int memOpen(sqlite3_vfs *pVfs, const char *zName, sqlite3_file *pFile, int flags, int *pOutFlags){
  MemFile *p = (MemFile*)pFile;
  MemData *d = zName ? memFind(zName) : 0;
  (void)pVfs;
  if( d==0 ){
    if( zName && (flags & SQLITE_OPEN_CREATE)==0 ) return SQLITE_CANTOPEN;
    d = calloc(1, sizeof(*d));
    if( d==0 ) return SQLITE_NOMEM;
    if( zName ){
      d->zName = malloc(strlen(zName)+1);
      if( d->zName==0 ){ free(d); return SQLITE_NOMEM; }
      strcpy(d->zName, zName);
      d->pNext = memFiles;
      memFiles = d;
    }
  }
  d->nRef++;
  p->pData = d;
  p->base.pMethods = &memIoMethods;
  if( pOutFlags ) *pOutFlags = flags;
  return SQLITE_OK;
}

static int memDelete(sqlite3_vfs *pVfs, const char *zName, int syncDir){
  MemData *d = memFind(zName);
  (void)pVfs; (void)syncDir;
  if( d==0 ) return SQLITE_IOERR_DELETE_NOENT;
  memUnlink(d);
  if( d->nRef<=0 ){
    memFree(d);
  }else{
    free(d->zName);   /* still open: becomes anonymous, freed on last close */
    d->zName = 0;
  }
  return SQLITE_OK;
}

static int memAccess(sqlite3_vfs *pVfs, const char *zName, int flags, int *pResOut){
  (void)pVfs; (void)flags;
  *pResOut = memFind(zName)!=0;
  return SQLITE_OK;
}

static int memFullPathname(sqlite3_vfs *pVfs, const char *zName, int nOut, char *zOut){
  (void)pVfs;
  sqlite3_snprintf(nOut, zOut, "%s", zName);
  return SQLITE_OK;
}

static int memRandomness(sqlite3_vfs *pVfs, int nByte, char *zOut){
  int i;
  (void)pVfs;
  for(i=0; i<nByte; i++){
    memSeed ^= memSeed<<13; memSeed ^= memSeed>>17; memSeed ^= memSeed<<5;
    zOut[i] = (char)(memSeed>>24);
  }
  return nByte;
}

static int memSleep(sqlite3_vfs *pVfs, int microseconds){ (void)pVfs; return microseconds; }

static int memCurrentTimeInt64(sqlite3_vfs *pVfs, sqlite3_int64 *piNow){
  struct timespec ts;
  (void)pVfs;
  clock_gettime(CLOCK_REALTIME, &ts);
  /* Julian day number in milliseconds: 1970-01-01 is JD 2440587.5 */
  *piNow = (sqlite3_int64)210866760000000LL + (sqlite3_int64)ts.tv_sec*1000 + ts.tv_nsec/1000000;
  return SQLITE_OK;
}

static int memCurrentTime(sqlite3_vfs *pVfs, double *prNow){
  sqlite3_int64 i = 0;
  memCurrentTimeInt64(pVfs, &i);
  *prNow = i/86400000.0;
  return SQLITE_OK;
}

static int memGetLastError(sqlite3_vfs *pVfs, int n, char *z){ (void)pVfs; (void)n; (void)z; return 0; }

static sqlite3_vfs memVfs = {
  2, sizeof(MemFile), 512, 0, "memvfs", 0,
  memOpen, memDelete, memAccess, memFullPathname,
  0, 0, 0, 0,  /* no loadable extensions */
  memRandomness, memSleep, memCurrentTime, memGetLastError, memCurrentTimeInt64,
  0, 0, 0
};

int sqlite3_os_init(void){
  return sqlite3_vfs_register(&memVfs, 1);
}

int sqlite3_os_end(void){
  return SQLITE_OK;
}
