#pragma once

// A SQLite VFS layered over the default one that writes each WAL frame with
// one system call instead of two. SQLite writes a frame as its 24-byte header
// and then its page at the next offset: two pwrite(2)s, half of a commit's
// system calls. Here the header waits in the file's buffer for the page that
// follows it and both go down in one write; any other use of the file (a
// read, a sync, a lock, a size, a truncate, a close) writes the waiting header
// first, so what reaches the file, and when it becomes visible or durable, is
// unchanged. Files other than WALs pass straight through.

namespace berth::storage {

// The VFS's name for sqlite3_open_v2, registering it (not as the default) on
// the first call. Thread-safe.
const char* FrameCoalescingVfsName();

}  // namespace berth::storage
