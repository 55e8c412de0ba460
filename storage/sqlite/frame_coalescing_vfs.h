#pragma once

// A SQLite VFS layered over the default one that writes each WAL frame with
// one system call instead of two, in whole 4 KiB blocks.
//
// SQLite writes a frame as its 24-byte header and then its page at the next
// offset: two pwrite(2)s, half of a commit's system calls. Here the header
// waits in the file's buffer for the page that follows it and both go down in
// one write; any other use of the file (a read, a sync, a lock, a size, a
// truncate, a close) writes the waiting header first, so what reaches the
// file, and when it becomes visible or durable, is unchanged.
//
// A frame (header and page) is not a whole number of blocks, so each one
// wrote part of two, and a write of part of a block makes the kernel read the
// block first unless its page is cached and up to date. On the ext4 and
// kernel tried here (Linux 6.18) it often was not: a committing request
// waited for disk reads, milliseconds each while a checkpoint kept the disk
// busy, about 600 times in 12 s of RegisterTaskDefinition at saturation. So
// an append to the WAL goes down from the start of its first block (whose
// bytes before it the file remembers from the write before) to the end of its
// last, padded with zeros: bytes beyond the WAL's last frame, which nothing
// reads (recovery tells the frames of a WAL that started over apart by their
// salts, and stops at the first that does not check out). A write the file
// cannot align (the first after opening a WAL that holds frames, a rewrite of
// an earlier frame) goes down as it is.
//
// Files other than WALs pass straight through.

namespace berth::storage {

// The VFS's name for sqlite3_open_v2, registering it (not as the default) on
// the first call. Thread-safe.
const char* FrameCoalescingVfsName();

}  // namespace berth::storage
