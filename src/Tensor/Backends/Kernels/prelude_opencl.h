// Spamp kernel prelude, OpenCL C 1.2 dialect. Kernel files are written against these macros only, so the
// same text also compiles as CUDA C (prelude_cuda.h). Type parameters arrive as -D options (T, E, SCALAR).
#ifdef SPAMP_FP64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#endif
// Results must not depend on whether the compiler fuses a*b+c (the random stream's contract forbids it).
#pragma OPENCL FP_CONTRACT OFF
#define KERNEL __kernel
#define GLOBAL __global
#define LOCAL __local
// Qualifies a DEVICE function's parameter that points into LOCAL memory (a work-group's scratch).
#define LOCAL_PTR __local
#define DEVICE static inline
#define GLOBAL_ID(d) ((int)get_global_id(d))
#define LOCAL_ID(d) ((int)get_local_id(d))
#define GROUP_ID(d) ((int)get_group_id(d))
#define LOCAL_SIZE(d) ((int)get_local_size(d))
#define BARRIER() barrier(CLK_LOCAL_MEM_FENCE)
#define MULHI32(a, b) mul_hi((uint)(a), (uint)(b))
#define ATOMIC_CAS_INT(p, expected, desired) atomic_cmpxchg((volatile GLOBAL int*)(p), (expected), (desired))
#define ATOMIC_ADD_INT(p, v) atomic_add((volatile GLOBAL int*)(p), (v))
#define AS_INT_BITS(f) as_int(f)
#define AS_FLOAT_BITS(i) as_float(i)
#define NEXT_DOWN(x) nextafter((x), (x) - (x) - INFINITY)
// Shape and strides of up to 8 dimensions, passed by value as one kernel argument.
typedef long i64;
typedef struct { int v[8]; } Dims;
