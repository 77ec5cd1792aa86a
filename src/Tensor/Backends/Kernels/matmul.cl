// Batched matrix product for element type T, dst[p] = a[p] * b[p]: a is [batch, m, k] and b [batch, k, n] with
// any strides (a batch stride of 0 broadcasts), dst contiguous [batch, m, n]. Each work-group computes a
// TILE x TILE block of dst, staging TILE x TILE blocks of a and b in local memory so each element read from
// global memory is used TILE times.

#define TILE 16

KERNEL void matmul(GLOBAL const T* a, int aOffset, int aBatch, int aRow, int aCol,
                   GLOBAL const T* b, int bOffset, int bBatch, int bRow, int bCol,
                   GLOBAL T* dst, int m, int n, int k)
{
    LOCAL T aTile[TILE][TILE];
    // One column of padding so work-items reading down a column hit different local-memory banks.
    LOCAL T bTile[TILE][TILE + 1];
    int col = GLOBAL_ID(0);
    int row = GLOBAL_ID(1);
    int p = GROUP_ID(2);
    int tx = LOCAL_ID(0);
    int ty = LOCAL_ID(1);
    int aBase = aOffset + p * aBatch;
    int bBase = bOffset + p * bBatch;
    T acc = (T)0;
    for (int t = 0; t < k; t += TILE)
    {
        int ak = t + tx;
        int bk = t + ty;
        aTile[ty][tx] = row < m && ak < k ? a[aBase + row * aRow + ak * aCol] : (T)0;
        bTile[ty][tx] = bk < k && col < n ? b[bBase + bk * bRow + col * bCol] : (T)0;
        BARRIER();
        for (int q = 0; q < TILE; q++)
        {
            acc += aTile[ty][q] * bTile[q][tx];
        }

        BARRIER();
    }

    if (row < m && col < n)
    {
        dst[(p * m + row) * n + col] = acc;
    }
}
