#include "storage/sqlite/frame_coalescing_vfs.h"

#include <cstring>

#include <sqlite3.h>

namespace berth::storage {
namespace {
namespace frames {  // (a unity build merges the anonymous namespaces of a target)

constexpr int kFrameHeaderBytes = 24;
// The largest write joined to a waiting header: SQLite's largest page.
constexpr int kMaxPageBytes = 65536;
constexpr const char* kName = "berth-frames";

// What SQLite allocates per open file (szOsFile bytes, not constructed: every
// member is set in Open). The underlying VFS's file follows it.
struct File {
  sqlite3_file base;  // first: SQLite sees a File as a sqlite3_file
  sqlite3_file* real;
  bool wal;
  int pending;  // bytes of a frame header waiting in `header`
  sqlite3_int64 pending_offset;
  unsigned char header[kFrameHeaderBytes];
  unsigned char* joined;  // header + page, sqlite3_malloc'd on first use
};
constexpr int kFileBytes = static_cast<int>((sizeof(File) + 15) / 16 * 16);

File* Self(sqlite3_file* file) { return reinterpret_cast<File*>(file); }
sqlite3_file* Real(sqlite3_file* file) { return Self(file)->real; }
const sqlite3_io_methods& RealMethods(sqlite3_file* file) { return *Real(file)->pMethods; }

// Writes the waiting header, if any.
int Flush(sqlite3_file* file) {
  File& self = *Self(file);
  if (self.pending == 0) return SQLITE_OK;
  const int bytes = self.pending;
  self.pending = 0;
  return RealMethods(file).xWrite(self.real, self.header, bytes, self.pending_offset);
}

// Calls the underlying file's method `Method` after writing the waiting header
// (an error writing it is the call's error).
template <auto Method>
struct Flushed;
template <typename... Args, int (*sqlite3_io_methods::*Method)(sqlite3_file*, Args...)>
struct Flushed<Method> {
  static int Call(sqlite3_file* file, Args... args) {
    if (const int rc = Flush(file); rc != SQLITE_OK) return rc;
    return (RealMethods(file).*Method)(Real(file), args...);
  }
};

// Calls the underlying file's method `Method` as it is (nothing it does sees
// the file's bytes).
template <auto Method>
struct Passed;
template <typename Result, typename... Args,
          Result (*sqlite3_io_methods::*Method)(sqlite3_file*, Args...)>
struct Passed<Method> {
  static Result Call(sqlite3_file* file, Args... args) {
    return (RealMethods(file).*Method)(Real(file), args...);
  }
};

int Close(sqlite3_file* file) {
  const int flushed = Flush(file);
  const int rc = RealMethods(file).xClose(Real(file));
  sqlite3_free(Self(file)->joined);
  Self(file)->joined = nullptr;
  return flushed != SQLITE_OK ? flushed : rc;
}

int Write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  File& self = *Self(file);
  if (self.pending > 0) {
    if (offset == self.pending_offset + self.pending && amount <= kMaxPageBytes) {
      if (self.joined == nullptr) {
        self.joined =
            static_cast<unsigned char*>(sqlite3_malloc(kFrameHeaderBytes + kMaxPageBytes));
      }
      if (self.joined != nullptr) {
        const int header = self.pending;
        self.pending = 0;
        std::memcpy(self.joined, self.header, static_cast<size_t>(header));
        std::memcpy(self.joined + header, data, static_cast<size_t>(amount));
        return RealMethods(file).xWrite(self.real, self.joined, header + amount,
                                        self.pending_offset);
      }
    }
    if (const int rc = Flush(file); rc != SQLITE_OK) return rc;
  }
  if (self.wal && amount == kFrameHeaderBytes) {
    std::memcpy(self.header, data, kFrameHeaderBytes);
    self.pending = kFrameHeaderBytes;
    self.pending_offset = offset;
    return SQLITE_OK;
  }
  return RealMethods(file).xWrite(self.real, data, amount, offset);
}

void ShmBarrier(sqlite3_file* file) {
  (void)Flush(file);  // a barrier has no way to report an error; the next call will
  RealMethods(file).xShmBarrier(Real(file));
}

// The methods of a file; `version` is the underlying file's (1: no shared
// memory or memory mapping, whose entries SQLite then does not use).
constexpr sqlite3_io_methods MethodsOfVersion(int version) {
  using M = sqlite3_io_methods;
  return {version,
          Close,
          Flushed<&M::xRead>::Call,
          Write,
          Flushed<&M::xTruncate>::Call,
          Flushed<&M::xSync>::Call,
          Flushed<&M::xFileSize>::Call,
          Flushed<&M::xLock>::Call,
          Flushed<&M::xUnlock>::Call,
          Flushed<&M::xCheckReservedLock>::Call,
          Flushed<&M::xFileControl>::Call,
          Passed<&M::xSectorSize>::Call,
          Passed<&M::xDeviceCharacteristics>::Call,
          Flushed<&M::xShmMap>::Call,
          Flushed<&M::xShmLock>::Call,
          ShmBarrier,
          Flushed<&M::xShmUnmap>::Call,
          Flushed<&M::xFetch>::Call,
          Passed<&M::xUnfetch>::Call};
}
constexpr sqlite3_io_methods kMethods[] = {MethodsOfVersion(1), MethodsOfVersion(2),
                                           MethodsOfVersion(3)};

sqlite3_vfs* Underlying(sqlite3_vfs* vfs) { return static_cast<sqlite3_vfs*>(vfs->pAppData); }

int Open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  File& self = *Self(file);
  self.base.pMethods = nullptr;
  self.real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kFileBytes);
  self.real->pMethods = nullptr;
  self.wal = (flags & SQLITE_OPEN_WAL) != 0;
  self.pending = 0;
  self.pending_offset = 0;
  self.joined = nullptr;
  const int rc = Underlying(vfs)->xOpen(Underlying(vfs), name, self.real, flags, out_flags);
  // SQLite closes a file whose methods are set, even when opening failed.
  if (const sqlite3_io_methods* real = self.real->pMethods) {
    const int version = real->iVersion < 1 ? 1 : (real->iVersion > 3 ? 3 : real->iVersion);
    self.base.pMethods = &kMethods[version - 1];
  }
  return rc;
}

int Delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  return Underlying(vfs)->xDelete(Underlying(vfs), name, sync_dir);
}
int Access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  return Underlying(vfs)->xAccess(Underlying(vfs), name, flags, out);
}
int FullPathname(sqlite3_vfs* vfs, const char* name, int size, char* out) {
  return Underlying(vfs)->xFullPathname(Underlying(vfs), name, size, out);
}
void* DlOpen(sqlite3_vfs* vfs, const char* name) {
  return Underlying(vfs)->xDlOpen(Underlying(vfs), name);
}
void DlError(sqlite3_vfs* vfs, int size, char* out) {
  Underlying(vfs)->xDlError(Underlying(vfs), size, out);
}
void (*DlSym(sqlite3_vfs* vfs, void* handle, const char* symbol))(void) {
  return Underlying(vfs)->xDlSym(Underlying(vfs), handle, symbol);
}
void DlClose(sqlite3_vfs* vfs, void* handle) { Underlying(vfs)->xDlClose(Underlying(vfs), handle); }
int Randomness(sqlite3_vfs* vfs, int size, char* out) {
  return Underlying(vfs)->xRandomness(Underlying(vfs), size, out);
}
int Sleep(sqlite3_vfs* vfs, int micros) { return Underlying(vfs)->xSleep(Underlying(vfs), micros); }
int CurrentTime(sqlite3_vfs* vfs, double* out) {
  return Underlying(vfs)->xCurrentTime(Underlying(vfs), out);
}
int GetLastError(sqlite3_vfs* vfs, int size, char* out) {
  return Underlying(vfs)->xGetLastError(Underlying(vfs), size, out);
}
int CurrentTimeInt64(sqlite3_vfs* vfs, sqlite3_int64* out) {
  return Underlying(vfs)->xCurrentTimeInt64(Underlying(vfs), out);
}

sqlite3_vfs* Register() {
  sqlite3_vfs* underlying = sqlite3_vfs_find(nullptr);
  if (underlying == nullptr) return nullptr;
  static sqlite3_vfs vfs{};
  vfs.iVersion = 2;
  vfs.szOsFile = kFileBytes + underlying->szOsFile;
  vfs.mxPathname = underlying->mxPathname;
  vfs.zName = kName;
  vfs.pAppData = underlying;
  vfs.xOpen = Open;
  vfs.xDelete = Delete;
  vfs.xAccess = Access;
  vfs.xFullPathname = FullPathname;
  vfs.xDlOpen = DlOpen;
  vfs.xDlError = DlError;
  vfs.xDlSym = DlSym;
  vfs.xDlClose = DlClose;
  vfs.xRandomness = Randomness;
  vfs.xSleep = Sleep;
  vfs.xCurrentTime = CurrentTime;
  vfs.xGetLastError = GetLastError;
  vfs.xCurrentTimeInt64 = CurrentTimeInt64;
  if (sqlite3_vfs_register(&vfs, /*makeDflt=*/0) != SQLITE_OK) return nullptr;
  return &vfs;
}

}  // namespace frames
}  // namespace

const char* FrameCoalescingVfsName() {
  static const sqlite3_vfs* const registered = frames::Register();
  // Without it (SQLite could not register it), the default VFS.
  return registered != nullptr ? frames::kName : nullptr;
}

}  // namespace berth::storage
