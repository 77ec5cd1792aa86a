// Philox4x32-10, the counter-based generator of PhiloxStream.cs, reproduced exactly: the four 32-bit words of
// the block at 64-bit counter `counter` under key `seed` (key (lo32(seed), hi32(seed)), counter
// (lo32(counter), hi32(counter), 0, 0)). Shared by the random fills and attention dropout, which must draw
// the same bits as the CPU backend.

DEVICE void philox(ulong seed, ulong counter, uint* r)
{
    uint c0 = (uint)counter, c1 = (uint)(counter >> 32), c2 = 0, c3 = 0;
    uint k0 = (uint)seed, k1 = (uint)(seed >> 32);
    for (int round = 0; round < 10; round++)
    {
        uint hi0 = MULHI32(0xD2511F53u, c0), lo0 = 0xD2511F53u * c0;
        uint hi1 = MULHI32(0xCD9E8D57u, c2), lo1 = 0xCD9E8D57u * c2;
        uint n0 = hi1 ^ c1 ^ k0;
        uint n2 = hi0 ^ c3 ^ k1;
        c1 = lo1;
        c3 = lo0;
        c0 = n0;
        c2 = n2;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }

    r[0] = c0;
    r[1] = c1;
    r[2] = c2;
    r[3] = c3;
}
