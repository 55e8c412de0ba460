// pause: PID 1 of an awsvpc task's network namespace (reference
// docker-engine-api.md §2.4 and §6). It holds the namespace open and does
// nothing else until it is told to stop.
//
// The kernel drops every signal except SIGKILL that is sent to a namespace's
// PID 1 without a handler, so a plain `pause()` would ignore `docker stop`
// and be SIGKILLed after the whole timeout (exit 137). Instead SIGTERM and
// SIGINT are blocked (a blocked signal is queued, never dropped) and taken
// synchronously with rt_sigtimedwait; either one ends the process with
// exit_group(0), so `docker stop` returns at once with exit code 0.
//
// Built static and libc-free (gcc -static -nostdlib -Os; see
// docker_backend/CMakeLists.txt): raw system calls for x86_64 and aarch64,
// entry point _start, no stack, heap or TLS use.

#if !defined(__x86_64__) && !defined(__aarch64__)
#error "pause.c supports x86_64 and aarch64 only"
#endif

typedef unsigned long word;

#if defined(__x86_64__)
enum { kSysRtSigprocmask = 14, kSysRtSigtimedwait = 128, kSysExitGroup = 231 };

static long Syscall4(long number, word a, word b, word c, word d) {
  long ret;
  register word r10 __asm__("r10") = d;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(number), "D"(a), "S"(b), "d"(c), "r"(r10)
                   : "rcx", "r11", "memory");
  return ret;
}
#elif defined(__aarch64__)
enum { kSysRtSigprocmask = 135, kSysRtSigtimedwait = 137, kSysExitGroup = 94 };

static long Syscall4(long number, word a, word b, word c, word d) {
  register word x8 __asm__("x8") = (word)number;
  register word x0 __asm__("x0") = a;
  register word x1 __asm__("x1") = b;
  register word x2 __asm__("x2") = c;
  register word x3 __asm__("x3") = d;
  __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
  return (long)x0;
}
#endif

enum {
  kSigInt = 2,
  kSigTerm = 15,
  kSigBlock = 0,
  kSigsetBytes = 8,  // the kernel's sigset_t: 64 bits
};

__attribute__((noreturn)) static void ExitGroup(int code) {
  for (;;) Syscall4(kSysExitGroup, (word)code, 0, 0, 0);
}

__attribute__((noreturn, used)) void _start(void) {
  const word set = (1UL << (kSigInt - 1)) | (1UL << (kSigTerm - 1));
  Syscall4(kSysRtSigprocmask, kSigBlock, (word)&set, 0, kSigsetBytes);
  for (;;) {
    // No timeout: sleep until one of the blocked signals is pending. Any
    // other result (-EINTR from a stop/continue, say) just waits again.
    const long sig = Syscall4(kSysRtSigtimedwait, (word)&set, 0, 0, kSigsetBytes);
    if (sig == kSigTerm || sig == kSigInt) ExitGroup(0);
  }
}
