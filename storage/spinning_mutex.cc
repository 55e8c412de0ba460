#include "storage/spinning_mutex.h"

namespace berth::storage {
namespace {

// Tells the CPU this is a spin-wait loop (less power, and on SMT cores the
// sibling thread gets the pipeline).
inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace

void SpinningMutex::lock() {
  if (mutex_.try_lock()) return;
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + kSpin;
  for (unsigned round = 1;; ++round) {
    CpuRelax();
    if (mutex_.try_lock()) return;
    // The clock is read every few rounds only: it costs more than a round.
    if (round % 16 == 0 && Clock::now() >= deadline) break;
  }
  mutex_.lock();
}

}  // namespace berth::storage
