// Spamp kernel prelude, CUDA C dialect (compiled by NVRTC with -fmad=false, the analogue of FP_CONTRACT OFF).
// See prelude_opencl.h: the same macros, so kernel files compile unchanged in both dialects.
typedef unsigned char uchar;
typedef unsigned short ushort;
typedef unsigned int uint;
typedef unsigned long long ulong;
#define INFINITY __int_as_float(0x7f800000)
#define NAN __int_as_float(0x7fffffff)
#define KERNEL extern "C" __global__
#define GLOBAL
#define LOCAL __shared__
#define LOCAL_PTR
#define DEVICE static __device__ inline
#define GLOBAL_ID_0 ((int)(blockIdx.x * blockDim.x + threadIdx.x))
#define GLOBAL_ID(d) ((d) == 0 ? (int)(blockIdx.x * blockDim.x + threadIdx.x) : (d) == 1 ? (int)(blockIdx.y * blockDim.y + threadIdx.y) : (int)(blockIdx.z * blockDim.z + threadIdx.z))
#define LOCAL_ID(d) ((d) == 0 ? (int)threadIdx.x : (d) == 1 ? (int)threadIdx.y : (int)threadIdx.z)
#define GROUP_ID(d) ((d) == 0 ? (int)blockIdx.x : (d) == 1 ? (int)blockIdx.y : (int)blockIdx.z)
#define LOCAL_SIZE(d) ((d) == 0 ? (int)blockDim.x : (d) == 1 ? (int)blockDim.y : (int)blockDim.z)
#define NUM_GROUPS(d) ((d) == 0 ? (int)gridDim.x : (d) == 1 ? (int)gridDim.y : (int)gridDim.z)
#define BARRIER() __syncthreads()
#define MULHI32(a, b) __umulhi((uint)(a), (uint)(b))
#define ATOMIC_CAS_INT(p, expected, desired) atomicCAS((int*)(p), (expected), (desired))
#define ATOMIC_ADD_INT(p, v) atomicAdd((int*)(p), (v))
#define AS_INT_BITS(f) __float_as_int(f)
#define AS_FLOAT_BITS(i) __int_as_float(i)
#define AS_UINT64_BITS(d) ((ulong)__double_as_longlong(d))
typedef long long i64;
// OpenCL's half-precision and saturating conversions, from the PTX cvt instructions (no cuda_fp16.h needed).
typedef unsigned short half;
DEVICE float vload_half(int i, const half* p) { float f; asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(p[i])); return f; }
DEVICE void vstore_half_rte(float f, int i, half* p) { unsigned short h; asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f)); p[i] = h; }
DEVICE void vstore_half_rte(double d, int i, half* p) { unsigned short h; asm("cvt.rn.f16.f64 %0, %1;" : "=h"(h) : "d"(d)); p[i] = h; }
DEVICE int convert_int_sat_rtz(float x) { return isnan(x) ? 0 : __float2int_rz(x); }
DEVICE int convert_int_sat_rtz(double x) { return isnan(x) ? 0 : __double2int_rz(x); }
DEVICE i64 convert_long_sat_rtz(float x) { return isnan(x) ? 0 : __float2ll_rz(x); }
DEVICE i64 convert_long_sat_rtz(double x) { return isnan(x) ? 0 : __double2ll_rz(x); }
// The next value below x in x's own type (nextafter's float and double overloads would be ambiguous with
// a double x and a float infinity).
DEVICE float next_down(float x) { return nextafterf(x, -INFINITY); }
DEVICE double next_down(double x) { return nextafter(x, -(double)INFINITY); }
#define NEXT_DOWN(x) next_down(x)
typedef struct { int v[8]; } Dims;
