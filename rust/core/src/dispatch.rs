//! Runtime CPU-feature dispatch for loops the compiler vectorises.
//!
//! The crate is built for the baseline target (SSE2 on x86-64). [`vectorised`] runs a kernel
//! inside a function compiled with AVX2 enabled when the CPU has it, so plain iterator loops
//! inlined into the kernel get 256-bit code without any hand-written intrinsics.

/// Run `kernel` compiled for AVX2+FMA when this CPU has them, for the baseline otherwise.
/// Everything the kernel calls should be `#[inline(always)]` so it is compiled with the
/// wider instruction set too.
#[inline(always)]
pub fn vectorised<R>(kernel: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx2,fma")]
        unsafe fn avx2<R>(kernel: impl FnOnce() -> R) -> R {
            kernel()
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU supports AVX2 and FMA, checked just above.
            return unsafe { avx2(kernel) };
        }
    }
    kernel()
}
