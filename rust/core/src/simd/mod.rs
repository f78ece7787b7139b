//! Runtime CPU-feature dispatch, one for the crate.
//!
//! The crate is built for the baseline target (SSE2 on x86-64). [`run`] runs a [`Task`]
//! inside a function compiled with AVX2 and FMA enabled when [`Simd::detect`] found them, so
//! plain loops inlined into the task get 256-bit code and [`lanes`] vectors get the AVX2
//! intrinsics; otherwise it runs the baseline build. [`vectorised`] does the same for a
//! closure, on the detected build.

pub(crate) mod lanes;

/// Which build of the vectorised code this CPU runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Simd {
    /// 256-bit AVX2 with fused multiply-add.
    #[cfg(target_arch = "x86_64")]
    Avx2Fma,
    /// Plain Rust, vectorised by the compiler for the baseline target.
    Portable,
}

impl Simd {
    /// The best build this CPU supports.
    pub fn detect() -> Simd {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            return Simd::Avx2Fma;
        }
        Simd::Portable
    }
}

/// Work compiled for the detected instruction set: [`run`] inlines `Task::run` (which must be
/// `#[inline(always)]`, with everything it calls) into a function built with AVX2 and FMA
/// enabled, so plain loops in it are vectorised 256 bits wide. Every closure is a task.
pub(crate) trait Task {
    type Output;
    fn run(self) -> Self::Output;
}

impl<F: FnOnce() -> R, R> Task for F {
    type Output = R;
    #[inline(always)]
    fn run(self) -> R {
        self()
    }
}

/// Run `task` with the instruction set `simd` names.
#[inline(always)]
pub(crate) fn run<T: Task>(simd: Simd, task: T) -> T::Output {
    match simd {
        // SAFETY: `Simd::Avx2Fma` is only ever detected on CPUs with AVX2 and FMA.
        #[cfg(target_arch = "x86_64")]
        Simd::Avx2Fma => unsafe { avx2_task(task) },
        Simd::Portable => task.run(),
    }
}

/// Run `kernel` compiled for AVX2+FMA when this CPU has them, for the baseline otherwise.
/// Everything the kernel calls should be `#[inline(always)]` so it is compiled with the
/// wider instruction set too.
#[inline(always)]
pub(crate) fn vectorised<R>(kernel: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if Simd::detect() == Simd::Avx2Fma {
        // SAFETY: `Simd::Avx2Fma` is only ever detected on CPUs with AVX2 and FMA.
        return unsafe { avx2_task(kernel) };
    }
    kernel()
}

/// # Safety
/// The CPU supports AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn avx2_task<T: Task>(task: T) -> T::Output {
    task.run()
}
