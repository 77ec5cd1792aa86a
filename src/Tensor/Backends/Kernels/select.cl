// Order statistics of |x| over the finite, non-zero entries of x (every stride-th entry only, for sampling), by
// radix select on the bit patterns: for non-negative IEEE values, ordering the bits as unsigned integers orders
// the values, so the k-th smallest value is found one 8-bit digit at a time, from the top, with a histogram per
// digit. No sort, no scratch copy, and the result is an exact element of x.
//
// All state lives in one int buffer (zeroed by the host before the first pass):
//   [0, 256)  the histogram of the current digit (cleared again by select_digit)
//   256       the number of candidates (finite, non-zero), counted by the first pass
//   257       the rank still to find among the candidates that match the prefix
//   258, 259  the key prefix chosen so far (low, high 32 bits)
//   260, 261  the result of selection 0: rank n/2 (the upper middle)
//   262, 263  the result of selection 1: rank n/2 - 1 for an even n (the lower middle), else n/2
// T_SIZE (4 or 8) selects the key width.

#define SELECT_TOTAL 256
#define SELECT_RANK 257
#define SELECT_PREFIX 258
#define SELECT_RESULT 260
#define GRID_STRIDE (NUM_GROUPS(0) * LOCAL_SIZE(0))

#if T_SIZE == 8
typedef ulong KEY;
#define KEY_BITS 64
DEVICE KEY key_of(T magnitude) { return AS_UINT64_BITS(magnitude); }
DEVICE KEY load_key(GLOBAL const int* s, int at) { return (KEY)(uint)s[at] | ((KEY)(uint)s[at + 1] << 32); }
DEVICE void store_key(GLOBAL int* s, int at, KEY key) { s[at] = (int)(uint)key; s[at + 1] = (int)(uint)(key >> 32); }
#else
typedef uint KEY;
#define KEY_BITS 32
DEVICE KEY key_of(T magnitude) { return (KEY)AS_INT_BITS(magnitude); }
DEVICE KEY load_key(GLOBAL const int* s, int at) { return (KEY)(uint)s[at]; }
DEVICE void store_key(GLOBAL int* s, int at, KEY key) { s[at] = (int)key; s[at + 1] = 0; }
#endif

// Counts, per value of the digit at bit `shift`, the candidates whose higher digits equal the prefix.
KERNEL void select_histogram(GLOBAL const T* x, int samples, int stride, GLOBAL int* state, int shift)
{
    KEY prefix = load_key(state, SELECT_PREFIX);
    int top = shift + 8 >= KEY_BITS;
    for (int j = GLOBAL_ID(0); j < samples; j += GRID_STRIDE)
    {
        T magnitude = fabs(x[j * stride]);
        if (magnitude == (T)0 || !isfinite(magnitude))
        {
            continue;
        }

        KEY key = key_of(magnitude);
        if (!top && (key >> (shift + 8)) != (prefix >> (shift + 8)))
        {
            continue;
        }

        ATOMIC_ADD_INT(&state[(int)((key >> shift) & (KEY)255)], 1);
    }
}

// One work-item: picks the digit at bit `shift` of the wanted rank from the histogram, extends the prefix, and
// clears the histogram for the next digit. The first digit also counts the candidates and sets the rank.
KERNEL void select_digit(GLOBAL int* state, int shift, int selection)
{
    if (GLOBAL_ID(0) != 0)
    {
        return;
    }

    if (shift + 8 >= KEY_BITS)
    {
        int total = 0;
        for (int d = 0; d < 256; d++)
        {
            total += state[d];
        }

        state[SELECT_TOTAL] = total;
        state[SELECT_RANK] = selection == 1 && total > 0 && total % 2 == 0 ? total / 2 - 1 : total / 2;
        store_key(state, SELECT_PREFIX, (KEY)0);
    }

    int rank = state[SELECT_RANK];
    int digit = 0;
    for (; digit < 255 && rank >= state[digit]; digit++)
    {
        rank -= state[digit];
    }

    KEY prefix = load_key(state, SELECT_PREFIX) | ((KEY)digit << shift);
    state[SELECT_RANK] = rank;
    store_key(state, SELECT_PREFIX, prefix);
    for (int d = 0; d < 256; d++)
    {
        state[d] = 0;
    }

    if (shift == 0)
    {
        store_key(state, SELECT_RESULT + 2 * selection, prefix);
    }
}
