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

// The unit WAL writes are aligned to: a memory page, and ext4's (and most
// file systems') block.
constexpr int kBlockBytes = 4096;
// What a WAL write sends down at most: the known start of its first block, a
// frame header and the largest page, and the rest of its last block.
constexpr int kAlignedBytes = kBlockBytes + kFrameHeaderBytes + kMaxPageBytes + kBlockBytes;

// What SQLite allocates per open file (szOsFile bytes, not constructed: every
// member is set in Open). The underlying VFS's file follows it.
struct File {
  sqlite3_file base;  // first: SQLite sees a File as a sqlite3_file
  sqlite3_file* real;
  bool wal;
  int pending;  // bytes of a frame header waiting in `header`
  sqlite3_int64 pending_offset;
  unsigned char header[kFrameHeaderBytes];
  unsigned char* scratch;  // an aligned write being built, sqlite3_malloc'd on first use
  // The end of what this handle wrote since the WAL last started over (at
  // its header), and whether `tail` holds the bytes of its last block
  // before it (what an append needs to start at that block's beginning).
  sqlite3_int64 written_end;
  bool tail_known;
  unsigned char tail[kBlockBytes];
};
constexpr int kFileBytes = static_cast<int>((sizeof(File) + 15) / 16 * 16);

File* Self(sqlite3_file* file) { return reinterpret_cast<File*>(file); }
sqlite3_file* Real(sqlite3_file* file) { return Self(file)->real; }
const sqlite3_io_methods& RealMethods(sqlite3_file* file) { return *Real(file)->pMethods; }

sqlite3_int64 BlockStart(sqlite3_int64 offset) { return offset - offset % kBlockBytes; }

// Notes a write of `amount` bytes of `data` at `offset` that went down as it
// is: what `tail` knows of the last block still holds, or no longer does.
void NoteUnalignedWrite(File& self, const unsigned char* data, int amount, sqlite3_int64 offset) {
  const sqlite3_int64 end = offset + amount;
  if (end >= self.written_end) {
    self.written_end = end;
    const sqlite3_int64 block = BlockStart(end);
    self.tail_known = offset <= block;
    if (self.tail_known) {
      std::memcpy(self.tail, data + (block - offset), static_cast<size_t>(end - block));
    }
    return;
  }
  // A rewrite before the end (a frame SQLite rewrites within a transaction):
  // the part of it in the last block changes `tail`.
  const sqlite3_int64 block = BlockStart(self.written_end);
  if (!self.tail_known || end <= block) return;
  const sqlite3_int64 from = offset > block ? offset : block;
  std::memcpy(self.tail + (from - block), data + (from - offset), static_cast<size_t>(end - from));
}

// Writes `amount` bytes of `data` at `offset` of a WAL: an append whose first
// block's start is known as whole blocks (that start, the bytes, zeros to the
// end of the last block; see the header), anything else as it is. `scratch`
// has room for kAlignedBytes, and `data` may already be in it at kBlockBytes.
int WriteWal(sqlite3_file* file, unsigned char* scratch, const unsigned char* data, int amount,
             sqlite3_int64 offset) {
  File& self = *Self(file);
  if (offset == 0) {  // the header of a WAL that starts over
    self.written_end = 0;
    self.tail_known = true;
  }
  const sqlite3_int64 start = BlockStart(offset);
  const sqlite3_int64 end = offset + amount;
  const bool append =
      end >= self.written_end && offset <= self.written_end &&
      (offset == start || (self.tail_known && start == BlockStart(self.written_end)));
  if (scratch == nullptr || !append || amount > kFrameHeaderBytes + kMaxPageBytes) {
    const int rc = RealMethods(file).xWrite(self.real, data, amount, offset);
    if (rc == SQLITE_OK) NoteUnalignedWrite(self, data, amount, offset);
    return rc;
  }
  const int lead = static_cast<int>(offset - start);
  unsigned char* const begin = scratch + kBlockBytes - lead;
  std::memcpy(begin, self.tail, static_cast<size_t>(lead));
  if (data != scratch + kBlockBytes)
    std::memmove(scratch + kBlockBytes, data, static_cast<size_t>(amount));
  const int used = lead + amount;
  const int bytes = (used + kBlockBytes - 1) / kBlockBytes * kBlockBytes;
  std::memset(begin + used, 0, static_cast<size_t>(bytes - used));
  const int rc = RealMethods(file).xWrite(self.real, begin, bytes, start);
  if (rc != SQLITE_OK) {
    self.tail_known = false;  // the file may hold part of it
    return rc;
  }
  self.written_end = end;
  const int in_last = static_cast<int>(end - BlockStart(end));
  std::memcpy(self.tail, begin + used - in_last, static_cast<size_t>(in_last));
  self.tail_known = true;
  return SQLITE_OK;
}

// The file's buffer for aligned WAL writes, allocated on first use (null if
// that failed: writes then go down as they are).
unsigned char* Scratch(File& self) {
  if (self.scratch == nullptr) {
    self.scratch = static_cast<unsigned char*>(sqlite3_malloc(kAlignedBytes));
  }
  return self.scratch;
}

// Writes the waiting header, if any.
int Flush(sqlite3_file* file) {
  File& self = *Self(file);
  if (self.pending == 0) return SQLITE_OK;
  const int bytes = self.pending;
  self.pending = 0;
  return WriteWal(file, Scratch(self), self.header, bytes, self.pending_offset);
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
  sqlite3_free(Self(file)->scratch);
  Self(file)->scratch = nullptr;
  return flushed != SQLITE_OK ? flushed : rc;
}

int Write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  File& self = *Self(file);
  if (!self.wal) return RealMethods(file).xWrite(self.real, data, amount, offset);
  const auto* bytes = static_cast<const unsigned char*>(data);
  if (self.pending > 0) {
    unsigned char* scratch = Scratch(self);
    if (offset == self.pending_offset + self.pending && amount <= kMaxPageBytes &&
        scratch != nullptr) {
      const int header = self.pending;
      self.pending = 0;
      // Header and page side by side where WriteWal wants them.
      unsigned char* joined = scratch + kBlockBytes;
      std::memcpy(joined, self.header, static_cast<size_t>(header));
      std::memcpy(joined + header, bytes, static_cast<size_t>(amount));
      return WriteWal(file, scratch, joined, header + amount, self.pending_offset);
    }
    if (const int rc = Flush(file); rc != SQLITE_OK) return rc;
  }
  if (amount == kFrameHeaderBytes) {
    std::memcpy(self.header, bytes, kFrameHeaderBytes);
    self.pending = kFrameHeaderBytes;
    self.pending_offset = offset;
    return SQLITE_OK;
  }
  return WriteWal(file, Scratch(self), bytes, amount, offset);
}

int Truncate(sqlite3_file* file, sqlite3_int64 size) {
  if (const int rc = Flush(file); rc != SQLITE_OK) return rc;
  File& self = *Self(file);
  if (self.wal && size < self.written_end) {
    self.written_end = size;
    self.tail_known = size % kBlockBytes == 0;  // nothing of its last block is needed
  }
  return RealMethods(file).xTruncate(self.real, size);
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
          Truncate,
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
  self.scratch = nullptr;
  self.written_end = 0;
  self.tail_known = false;  // until a write shows what the WAL's last block holds
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
