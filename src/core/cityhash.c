/*-------------------------------------------------------------------------
 *
 * cityhash.c
 *	  CityHash64, version 1.0.2 (Geoff Pike and Jyrki Alakuijala, Google,
 *	  MIT licence), the version CatBoost's util/digest/city carries.
 *
 * CatBoost's JSON model keeps categorical values only as the low 32 bits
 * of this hash; computing it is what lets a row name its category.  The
 * code follows the reference implementation step by step (little-endian
 * loads, unsigned 64-bit wrap-around); test/catboost/oracle.py checks it
 * against the hashes CatBoost writes, for values of every length class.
 *
 *-------------------------------------------------------------------------
 */
#include "cityhash.h"

static const uint64_t k0 = 0xc3a5c85c97cb3127ULL;
static const uint64_t k1 = 0xb492b66fbe98f273ULL;
static const uint64_t k2 = 0x9ae16a3b2f90404fULL;
static const uint64_t k3 = 0xc949d7c7509e6557ULL;

typedef struct pair64
{
	uint64_t first;
	uint64_t second;
} pair64;

/* Little-endian loads, whatever the machine's order. */
static uint64_t
fetch64(const char *p)
{
	const unsigned char *u = (const unsigned char *) p;
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | u[i];
	return v;
}

static uint32_t
fetch32(const char *p)
{
	const unsigned char *u = (const unsigned char *) p;

	return (uint32_t) u[0] | ((uint32_t) u[1] << 8) |
		((uint32_t) u[2] << 16) | ((uint32_t) u[3] << 24);
}

static uint64_t
rotate(uint64_t v, int shift)
{
	return shift == 0 ? v : ((v >> shift) | (v << (64 - shift)));
}

/* 'shift' is in 1..63 */
static uint64_t
rotate_at_least_1(uint64_t v, int shift)
{
	return (v >> shift) | (v << (64 - shift));
}

static uint64_t
shift_mix(uint64_t v)
{
	return v ^ (v >> 47);
}

static uint64_t
hash_len16(uint64_t u, uint64_t v)
{
	const uint64_t mul = 0x9ddfea08eb382d69ULL;
	uint64_t a = (u ^ v) * mul;
	uint64_t b;

	a ^= (a >> 47);
	b = (v ^ a) * mul;
	b ^= (b >> 47);
	return b * mul;
}

static uint64_t
hash_len0to16(const char *s, size_t len)
{
	if (len > 8)
	{
		uint64_t a = fetch64(s);
		uint64_t b = fetch64(s + len - 8);

		return hash_len16(a, rotate_at_least_1(b + len, (int) len)) ^ b;
	}
	if (len >= 4)
	{
		uint64_t a = fetch32(s);

		return hash_len16(len + (a << 3), fetch32(s + len - 4));
	}
	if (len > 0)
	{
		uint8_t a = (uint8_t) s[0];
		uint8_t b = (uint8_t) s[len >> 1];
		uint8_t c = (uint8_t) s[len - 1];
		uint32_t y = (uint32_t) a + ((uint32_t) b << 8);
		uint32_t z = (uint32_t) len + ((uint32_t) c << 2);

		return shift_mix(y * k2 ^ z * k3) * k2;
	}
	return k2;
}

static uint64_t
hash_len17to32(const char *s, size_t len)
{
	uint64_t a = fetch64(s) * k1;
	uint64_t b = fetch64(s + 8);
	uint64_t c = fetch64(s + len - 8) * k2;
	uint64_t d = fetch64(s + len - 16) * k0;

	return hash_len16(rotate(a - b, 43) + rotate(c, 30) + d,
					  a + rotate(b ^ k3, 20) - c + len);
}

static pair64
weak_hash32_seeds(uint64_t w, uint64_t x, uint64_t y, uint64_t z, uint64_t a,
				  uint64_t b)
{
	uint64_t c;
	pair64 r;

	a += w;
	b = rotate(b + a + z, 21);
	c = a;
	a += x;
	a += y;
	b += rotate(a, 44);
	r.first = a + z;
	r.second = b + c;
	return r;
}

static pair64
weak_hash32_at(const char *s, uint64_t a, uint64_t b)
{
	return weak_hash32_seeds(fetch64(s), fetch64(s + 8), fetch64(s + 16),
							 fetch64(s + 24), a, b);
}

static uint64_t
hash_len33to64(const char *s, size_t len)
{
	uint64_t z = fetch64(s + 24);
	uint64_t a = fetch64(s) + (len + fetch64(s + len - 16)) * k0;
	uint64_t b = rotate(a + z, 52);
	uint64_t c = rotate(a, 37);
	uint64_t vf, vs, wf, ws, r;

	a += fetch64(s + 8);
	c += rotate(a, 7);
	a += fetch64(s + 16);
	vf = a + z;
	vs = b + rotate(a, 31) + c;
	a = fetch64(s + 16) + fetch64(s + len - 32);
	z = fetch64(s + len - 8);
	b = rotate(a + z, 52);
	c = rotate(a, 37);
	a += fetch64(s + len - 24);
	c += rotate(a, 7);
	a += fetch64(s + len - 16);
	wf = a + z;
	ws = b + rotate(a, 31) + c;
	r = shift_mix((vf + ws) * k2 + (wf + vs) * k0);
	return shift_mix(r * k0 + vs) * k2;
}

uint64_t
md_cityhash64(const char *s, size_t len)
{
	uint64_t x, y, z, t;
	pair64 v, w;

	if (len <= 16)
		return hash_len0to16(s, len);
	if (len <= 32)
		return hash_len17to32(s, len);
	if (len <= 64)
		return hash_len33to64(s, len);

	/* the end first, then 64 bytes at a time with 56 bytes of state */
	x = fetch64(s);
	y = fetch64(s + len - 16) ^ k1;
	z = fetch64(s + len - 56) ^ k0;
	v = weak_hash32_at(s + len - 64, len, y);
	w = weak_hash32_at(s + len - 32, len * k1, k0);
	z += shift_mix(v.second) * k1;
	x = rotate(z + x, 39) * k1;
	y = rotate(y, 33) * k1;
	len = (len - 1) & ~(size_t) 63;
	do
	{
		x = rotate(x + y + v.first + fetch64(s + 16), 37) * k1;
		y = rotate(y + v.second + fetch64(s + 48), 42) * k1;
		x ^= w.second;
		y ^= v.first;
		z = rotate(z ^ w.first, 33);
		v = weak_hash32_at(s, v.second * k1, x + w.first);
		w = weak_hash32_at(s + 32, z + w.second, y);
		t = z;
		z = x;
		x = t;
		s += 64;
		len -= 64;
	} while (len != 0);
	return hash_len16(hash_len16(v.first, w.first) + shift_mix(y) * k1 + z,
					  hash_len16(v.second, w.second) + x);
}
