/*-------------------------------------------------------------------------
 *
 * opost.c
 *	  ONNX Runtime's score transforms, in float as it computes them.
 *
 * ml_common.h's scalar ComputeLogistic, ComputeProbit (Winitzki's ErfInv),
 * ComputeSoftmax and ComputeSoftmaxZero, used by the tree ensembles and by
 * the linear models' one-score cases, and MLAS's vectorised logistic,
 * which batched_update_scores_inplace uses for a linear model's several
 * scores.  Needs -ffp-contract=off: the fused steps are explicit (fmaf).
 *
 *-------------------------------------------------------------------------
 */
#include <float.h>
#include <math.h>

#include "opost.h"

/* ml_common.h's ComputeLogistic, in float */
float
md_opost_logistic(float v)
{
	float e = 1.0f / (1.0f + expf(-fabsf(v)));

	return v < 0.0f ? 1.0f - e : e;
}

/* ml_common.h's ErfInv (Winitzki's approximation, a = 0.147), in float */
static float
erf_inv(float x)
{
	float sgn = x < 0.0f ? -1.0f : 1.0f;
	float lg;
	float v;
	float v2;
	float v3;

	x = (1.0f - x) * (1.0f + x);
	lg = logf(x);
	v = 2.0f / ((float) M_PI * 0.147f) + 0.5f * lg;
	v2 = 1.0f / 0.147f * lg;
	v3 = -v + sqrtf(v * v - v2);
	return sgn * sqrtf(v3);
}

float
md_opost_probit(float v)
{
	return (float) M_SQRT2 * erf_inv(2.0f * v - 1.0f);
}

/*
 * ComputeSoftmax and ComputeSoftmaxZero over n values held in doubles, in
 * place, every step in float -- but for ComputeSoftmaxZero of double
 * scores ('dbl': a tree ensemble's MD_OT_DOUBLE_OUT), which scales a
 * near-zero score and divides by the float sum in double, as its
 * ScoreValue<double> does.
 */
void
md_opost_softmax(double *v, uint32_t n, bool zero, bool dbl)
{
	float vmax = -FLT_MAX;
	float sum = 0.0f;
	float exp_neg_max;

	for (uint32_t k = 0; k < n; k++)
		if ((float) v[k] > vmax)
			vmax = (float) v[k];
	exp_neg_max = expf(-vmax);
	for (uint32_t k = 0; k < n; k++)
	{
		float e = (float) v[k];

		if (!zero || e > 0.0000001f || e < -0.0000001f)
		{
			e = expf(e - vmax);
			sum += e;
			v[k] = e;
		}
		else
			v[k] = dbl ? v[k] * (double) exp_neg_max : e * exp_neg_max;
	}
	for (uint32_t k = 0; k < n; k++)
		v[k] = (zero && dbl) ? v[k] / (double) sum : (float) v[k] / sum;
}

/*
 * MlasLogisticKernelFma3, the kernel MLAS picks on x86-64 with FMA: the
 * input clamped to [-18, 18], p(x) / q(x) + 0.5 with both polynomials in
 * x^2 by fused multiply-adds (Eigen's coefficients), clamped to [0, 1].
 */
float
md_opost_mlas_logistic(float v)
{
	float x = v < -18.0f ? -18.0f : v;
	float x2;
	float p;
	float q;
	float r;

	x = x > 18.0f ? 18.0f : x;
	x2 = x * x;
	p = fmaf(x2, 4.37031012579801e-11f, 1.15627324459942e-07f);
	p = fmaf(p, x2, 6.08574864600143e-05f);
	p = fmaf(p, x2, 8.51377133304701e-03f);
	p = fmaf(p, x2, 2.48287947061529e-01f);
	p = p * x;
	q = fmaf(x2, 6.10247389755681e-13f, 5.76102136993427e-09f);
	q = fmaf(q, x2, 6.29106785017040e-06f);
	q = fmaf(q, x2, 1.70198817374094e-03f);
	q = fmaf(q, x2, 1.16817656904453e-01f);
	q = fmaf(q, x2, 9.93151921023180e-01f);
	r = p / q + 0.5f;
	return r < 0.0f ? 0.0f : (r > 1.0f ? 1.0f : r);
}
