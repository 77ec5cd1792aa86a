// Fused scaled-dot-product attention over operands of type T, flash-attention style: the Tq x Tk score matrix
// is never stored, only TILE x TILE blocks of it in local memory.
//
// A work-group is TILE x TILE work-items: local id 0 (c) is a column of the block, local id 1 (r) a row. The
// forward and the query gradient give a work-group TILE query rows of one (batch, head) and sweep the key tiles;
// the key and value gradients give it TILE key rows and sweep the query tiles, so every gradient row has one
// owner and is summed in a fixed order, without atomics. Grid: dimension 0 counts tiles, dimension 2 is
// batch * heads + head.
//
// Output rows are accumulated in registers, CHUNK columns at a time (work-item c owns columns c, c + TILE, ...):
// a head wider than CHUNK takes another sweep over the keys, which recomputes the scores, so any head size runs
// with fixed local memory.
//
// Operands are [B, H, T, width] views passed as Dims {offset, batch, head, row, column strides}, so heads sliced
// out of a fused projection (and broadcast masks, stride 0) are read in place.

#include "philox.h"

#define TILE 16
// Rows of the score-sized blocks are padded by one element, so a work-group reading a column of a block does
// not hit one local memory bank TILE times.
#define PAD (TILE + 1)
#define PER_ITEM 4
#define CHUNK (PER_ITEM * TILE)

// Element (b, h, i, j) of a view.
DEVICE int at4(Dims v, int b, int h, int i, int j)
{
    return v.v[0] + b * v.v[1] + h * v.v[2] + i * v.v[3] + j * v.v[4];
}

// What decides a score beyond the dot product: sizes, scale, the causal rule, the key padding mask ([B, Tk]
// Bool, true hides; view {offset, batch stride, key stride}), the attention mask (maskKind 1: Bool, false hides;
// 2: added to the scores; view as at4) and dropout.
typedef struct
{
    int heads;
    int tq;
    int tk;
    T scale;
    int causal;
    int hasPadding;
    GLOBAL const uchar* padding;
    Dims paddingView;
    int maskKind;
    GLOBAL const uchar* boolMask;
    GLOBAL const T* addMask;
    Dims maskView;
    int dropout;
    ulong seed;
    ulong offset;
    uint threshold;
    T keepScale;
} Scores;

// The score of query i and key j: scale * dot with the masks applied, -infinity when hidden (and for rows and
// keys past the ends, which pad the last tiles).
DEVICE T masked_score(const Scores* s, T dot, int b, int h, int i, int j)
{
    if (i >= s->tq || j >= s->tk || (s->causal && j > i))
    {
        return (T)-INFINITY;
    }

    T score = dot * s->scale;
    if (s->hasPadding && s->padding[s->paddingView.v[0] + b * s->paddingView.v[1] + j * s->paddingView.v[2]] != 0)
    {
        score = (T)-INFINITY;
    }

    if (s->maskKind == 1 && s->boolMask[at4(s->maskView, b, h, i, j)] == 0)
    {
        score = (T)-INFINITY;
    }
    else if (s->maskKind == 2)
    {
        score += s->addMask[at4(s->maskView, b, h, i, j)];
    }

    return score;
}

// The dropout factor of weight (b, h, i, j): 1/(1-p) or 0 from bernoulli draw ((b*H + h)*Tq + i)*Tk + j of the
// 32-bit Philox family (four draws per block), 1 without dropout. Forward and backward draw the same bits.
DEVICE T dropout_factor(const Scores* s, int b, int h, int i, int j)
{
    if (!s->dropout)
    {
        return (T)1;
    }

    ulong e = (((ulong)(b * s->heads + h) * (ulong)s->tq + (ulong)i) * (ulong)s->tk) + (ulong)j;
    uint r[4];
    philox(s->seed, s->offset + (e >> 2), r);
    return (r[e & 3] >> 8) < s->threshold ? s->keepScale : (T)0;
}

// Work-item (c, r) receives sum_d A[rowA + r][d] * B[rowB + c][d] over `width` columns: both blocks pass through
// local memory TILE columns at a time; rows at or past rowsA / rowsB read as 0. Every work-item must call (barriers).
DEVICE T tile_dot(GLOBAL const T* a, Dims av, int rowA, int rowsA, GLOBAL const T* bm, Dims bv, int rowB, int rowsB,
                  int b, int h, int width, LOCAL_PTR T* tileA, LOCAL_PTR T* tileB)
{
    int c = LOCAL_ID(0);
    int r = LOCAL_ID(1);
    T acc = (T)0;
    for (int d0 = 0; d0 < width; d0 += TILE)
    {
        int d = d0 + c;
        tileA[r * PAD + c] = rowA + r < rowsA && d < width ? a[at4(av, b, h, rowA + r, d)] : (T)0;
        tileB[r * PAD + c] = rowB + r < rowsB && d < width ? bm[at4(bv, b, h, rowB + r, d)] : (T)0;
        BARRIER();
        int n = min(TILE, width - d0);
        for (int k = 0; k < n; k++)
        {
            acc += tileA[r * PAD + k] * tileB[c * PAD + k];
        }

        BARRIER();
    }

    return acc;
}

// How many of a work-item's PER_ITEM columns c + w * TILE of the chunk at col0 can fall inside `width`: the
// same for every work-item, so loops bounded by it stay uniform, and a narrow head (16 wide, say) does not
// pay for the whole CHUNK.
DEVICE int chunk_items(int col0, int width)
{
    return min(PER_ITEM, (width - col0 + TILE - 1) / TILE);
}

// Loads rows [row0, row0 + TILE) x columns [col0, col0 + CHUNK) of a view into block[TILE][CHUNK] (0 past the
// ends; groups of columns wholly past the end are skipped, and readers skip them too).
DEVICE void load_chunk(GLOBAL const T* src, Dims view, int b, int h, int row0, int rows, int col0, int width, LOCAL_PTR T* block)
{
    int c = LOCAL_ID(0);
    int r = LOCAL_ID(1);
    for (int w = 0; w < chunk_items(col0, width); w++)
    {
        int col = col0 + c + w * TILE;
        block[r * CHUNK + c + w * TILE] = row0 + r < rows && col < width ? src[at4(view, b, h, row0 + r, col)] : (T)0;
    }
}

// The backward's view of block (q0, k0) for work-item (c, r), i.e. query q0 + r and key k0 + c, recomputed:
// the dropped-out weight P' = P z with P = exp(score - lse), and dS = P (dP' z - delta), the gradient of the
// score, where dP' = dO . V[j] and delta = dO . O (sum_j P dP, dropout included). A fully masked row (lse =
// +infinity) has P = 0, so no gradient flows through it.
DEVICE void gradient_tile(const Scores* s, GLOBAL const T* q, Dims qv, GLOBAL const T* k, Dims kv, GLOBAL const T* v, Dims vv,
                          GLOBAL const T* dO, Dims dov, GLOBAL const T* lse, GLOBAL const T* delta, int d, int dv,
                          int b, int h, int q0, int k0, LOCAL_PTR T* tileA, LOCAL_PTR T* tileB, T* weight, T* gradScore)
{
    int i = q0 + LOCAL_ID(1);
    int j = k0 + LOCAL_ID(0);
    int row = (b * s->heads + h) * s->tq + i;
    T score = masked_score(s, tile_dot(q, qv, q0, s->tq, k, kv, k0, s->tk, b, h, d, tileA, tileB), b, h, i, j);
    T dp = tile_dot(dO, dov, q0, s->tq, v, vv, k0, s->tk, b, h, dv, tileA, tileB);
    T rowLse = i < s->tq ? lse[row] : (T)INFINITY;
    T p = isinf(rowLse) || isinf(score) ? (T)0 : exp(score - rowLse);
    T z = i < s->tq && j < s->tk ? dropout_factor(s, b, h, i, j) : (T)0;
    *weight = p * z;
    *gradScore = p == (T)0 ? (T)0 : p * (dp * z - delta[row]);
}

// The arguments every attention kernel takes after its operands, in this order.
#define SCORE_PARAMETERS                                                                                   \
    int heads, int tq, int tk, int d, int dv, SCALAR scale, int causal,                                     \
    GLOBAL const uchar* padding, Dims paddingView, int hasPadding,                                          \
    GLOBAL const uchar* boolMask, GLOBAL const T* addMask, Dims maskView, int maskKind,                     \
    int dropout, ulong seed, ulong offset, uint threshold, SCALAR keepScale

#define SCORES_FROM_PARAMETERS                                                                             \
    {heads, tq, tk, (T)scale, causal, hasPadding, padding, paddingView, maskKind, boolMask, addMask, maskView, \
     dropout, seed, offset, threshold, (T)keepScale}

// O = dropout(softmax(scores)) V and lse = log sum exp(scores) per query row (+infinity and O = 0 for a row
// with no visible key). Online softmax: a row keeps its running maximum m, the sum l of exp(score - m) and the
// unnormalised output, all rescaled by exp(m_old - m_new) whenever a key tile raises the maximum.
KERNEL void attention_forward(GLOBAL const T* q, Dims qv, GLOBAL const T* k, Dims kv, GLOBAL const T* v, Dims vv,
                              GLOBAL T* o, Dims ov, GLOBAL T* lse, SCORE_PARAMETERS)
{
    LOCAL T tileA[TILE * PAD];
    LOCAL T tileB[TILE * PAD];
    LOCAL T probs[TILE * PAD];
    LOCAL T kept[TILE * PAD];
    LOCAL T values[TILE * CHUNK];
    Scores s = SCORES_FROM_PARAMETERS;
    int c = LOCAL_ID(0);
    int r = LOCAL_ID(1);
    int q0 = GROUP_ID(0) * TILE;
    int bh = GROUP_ID(2);
    int b = bh / heads;
    int h = bh - b * heads;
    int i = q0 + r;
    // Causal: no query of this tile sees a key past its last row.
    int keys = causal ? min(tk, q0 + TILE) : tk;
    for (int v0 = 0; v0 < dv; v0 += CHUNK)
    {
        // Every work-item of row r keeps the same m and l (it reads the whole row of each block).
        T m = (T)-INFINITY;
        T l = (T)0;
        T acc[PER_ITEM];
        for (int w = 0; w < PER_ITEM; w++)
        {
            acc[w] = (T)0;
        }

        for (int k0 = 0; k0 < keys; k0 += TILE)
        {
            int j = k0 + c;
            T score = masked_score(&s, tile_dot(q, qv, q0, tq, k, kv, k0, tk, b, h, d, tileA, tileB), b, h, i, j);
            probs[r * PAD + c] = score;
            BARRIER();
            T tileMax = (T)-INFINITY;
            for (int cc = 0; cc < TILE; cc++)
            {
                tileMax = fmax(tileMax, probs[r * PAD + cc]);
            }

            T next = fmax(m, tileMax);
            // While every score so far is hidden, exponentiate against 0 so that -inf - -inf is never taken.
            T base = isinf(next) ? (T)0 : next;
            T alpha = exp(m - base);
            T p = exp(score - base);
            T z = i < tq && j < tk ? dropout_factor(&s, b, h, i, j) : (T)0;
            BARRIER();
            probs[r * PAD + c] = p;
            kept[r * PAD + c] = p * z;
            load_chunk(v, vv, b, h, k0, tk, v0, dv, values);
            BARRIER();
            T tileSum = (T)0;
            for (int cc = 0; cc < TILE; cc++)
            {
                tileSum += probs[r * PAD + cc];
            }

            l = l * alpha + tileSum;
            m = next;
            for (int w = 0; w < chunk_items(v0, dv); w++)
            {
                T sum = (T)0;
                for (int cc = 0; cc < TILE; cc++)
                {
                    sum += kept[r * PAD + cc] * values[cc * CHUNK + c + w * TILE];
                }

                acc[w] = acc[w] * alpha + sum;
            }

            BARRIER();
        }

        if (i < tq)
        {
            for (int w = 0; w < PER_ITEM; w++)
            {
                int col = v0 + c + w * TILE;
                if (col < dv)
                {
                    o[at4(ov, b, h, i, col)] = l > (T)0 ? acc[w] / l : (T)0;
                }
            }

            if (v0 == 0 && c == 0)
            {
                lse[bh * tq + i] = l > (T)0 ? m + log(l) : (T)INFINITY;
            }
        }
    }
}

// delta[row] = dO[row] . O[row] per query row (one work-item each), the softmax backward's sum_j P dP.
KERNEL void attention_delta(GLOBAL const T* o, Dims ov, GLOBAL const T* dO, Dims dov, int heads, int tq, int dv, int rows, GLOBAL T* delta)
{
    int row = GLOBAL_ID(0);
    if (row >= rows)
    {
        return;
    }

    int bh = row / tq;
    int i = row - bh * tq;
    int b = bh / heads;
    int h = bh - b * heads;
    T sum = (T)0;
    for (int col = 0; col < dv; col++)
    {
        sum += dO[at4(dov, b, h, i, col)] * o[at4(ov, b, h, i, col)];
    }

    delta[row] = sum;
}

// dK = scale * dS^T Q and dV = P'^T dO for TILE key rows, over every query tile that can see them.
KERNEL void attention_backward_key_value(GLOBAL const T* q, Dims qv, GLOBAL const T* k, Dims kv, GLOBAL const T* v, Dims vv,
                                         GLOBAL const T* dO, Dims dov, GLOBAL const T* lse, GLOBAL const T* delta,
                                         GLOBAL T* dk, Dims dkv, GLOBAL T* dvOut, Dims dvv, SCORE_PARAMETERS)
{
    LOCAL T tileA[TILE * PAD];
    LOCAL T tileB[TILE * PAD];
    LOCAL T weights[TILE * PAD];
    LOCAL T gradScores[TILE * PAD];
    LOCAL T queries[TILE * CHUNK];
    LOCAL T grads[TILE * CHUNK];
    Scores s = SCORES_FROM_PARAMETERS;
    int c = LOCAL_ID(0);
    int r = LOCAL_ID(1);
    int k0 = GROUP_ID(0) * TILE;
    int bh = GROUP_ID(2);
    int b = bh / heads;
    int h = bh - b * heads;
    int j = k0 + r;
    // Causal: query i sees key j only when i >= j, so the query tiles before this key tile contribute nothing.
    int first = causal ? k0 : 0;
    int width = max(d, dv);
    for (int c0 = 0; c0 < width; c0 += CHUNK)
    {
        T accK[PER_ITEM];
        T accV[PER_ITEM];
        for (int w = 0; w < PER_ITEM; w++)
        {
            accK[w] = (T)0;
            accV[w] = (T)0;
        }

        for (int q0 = first; q0 < tq; q0 += TILE)
        {
            T weight;
            T gradScore;
            gradient_tile(&s, q, qv, k, kv, v, vv, dO, dov, lse, delta, d, dv, b, h, q0, k0, tileA, tileB, &weight, &gradScore);
            weights[r * PAD + c] = weight;
            gradScores[r * PAD + c] = gradScore;
            load_chunk(q, qv, b, h, q0, tq, c0, d, queries);
            load_chunk(dO, dov, b, h, q0, tq, c0, dv, grads);
            BARRIER();
            // This work-item's key row is k0 + r: column r of the blocks.
            for (int w = 0; w < chunk_items(c0, d); w++)
            {
                for (int a = 0; a < TILE; a++)
                {
                    accK[w] += gradScores[a * PAD + r] * queries[a * CHUNK + c + w * TILE];
                }
            }

            for (int w = 0; w < chunk_items(c0, dv); w++)
            {
                for (int a = 0; a < TILE; a++)
                {
                    accV[w] += weights[a * PAD + r] * grads[a * CHUNK + c + w * TILE];
                }
            }

            BARRIER();
        }

        if (j < tk)
        {
            for (int w = 0; w < PER_ITEM; w++)
            {
                int col = c0 + c + w * TILE;
                if (col < d)
                {
                    dk[at4(dkv, b, h, j, col)] = s.scale * accK[w];
                }

                if (col < dv)
                {
                    dvOut[at4(dvv, b, h, j, col)] = accV[w];
                }
            }
        }
    }
}

// dQ = scale * dS K for TILE query rows, over the key tiles they can see.
KERNEL void attention_backward_query(GLOBAL const T* q, Dims qv, GLOBAL const T* k, Dims kv, GLOBAL const T* v, Dims vv,
                                     GLOBAL const T* dO, Dims dov, GLOBAL const T* lse, GLOBAL const T* delta,
                                     GLOBAL T* dq, Dims dqv, SCORE_PARAMETERS)
{
    LOCAL T tileA[TILE * PAD];
    LOCAL T tileB[TILE * PAD];
    LOCAL T gradScores[TILE * PAD];
    LOCAL T keysBlock[TILE * CHUNK];
    Scores s = SCORES_FROM_PARAMETERS;
    int c = LOCAL_ID(0);
    int r = LOCAL_ID(1);
    int q0 = GROUP_ID(0) * TILE;
    int bh = GROUP_ID(2);
    int b = bh / heads;
    int h = bh - b * heads;
    int i = q0 + r;
    int keys = causal ? min(tk, q0 + TILE) : tk;
    for (int c0 = 0; c0 < d; c0 += CHUNK)
    {
        T acc[PER_ITEM];
        for (int w = 0; w < PER_ITEM; w++)
        {
            acc[w] = (T)0;
        }

        for (int k0 = 0; k0 < keys; k0 += TILE)
        {
            T weight;
            T gradScore;
            gradient_tile(&s, q, qv, k, kv, v, vv, dO, dov, lse, delta, d, dv, b, h, q0, k0, tileA, tileB, &weight, &gradScore);
            gradScores[r * PAD + c] = gradScore;
            load_chunk(k, kv, b, h, k0, tk, c0, d, keysBlock);
            BARRIER();
            for (int w = 0; w < chunk_items(c0, d); w++)
            {
                for (int cc = 0; cc < TILE; cc++)
                {
                    acc[w] += gradScores[r * PAD + cc] * keysBlock[cc * CHUNK + c + w * TILE];
                }
            }

            BARRIER();
        }

        if (i < tq)
        {
            for (int w = 0; w < PER_ITEM; w++)
            {
                int col = c0 + c + w * TILE;
                if (col < d)
                {
                    dq[at4(dqv, b, h, i, col)] = s.scale * acc[w];
                }
            }
        }
    }
}
