using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NetGen.Kernels
{
    // Shared loops of the activations: a vectorised map for functions written in plain
    // arithmetic, a scalar map for functions that need double precision, and the matching
    // gradient loops. The math lives in small operator structs next to each activation.
    public static partial class ActivationKernels
    {
        /// <summary>
        /// Runs <c>output[k] = op.Apply(input[k])</c> with 256-bit vectors, then 128-bit, then scalar.
        /// <paramref name="input"/> and <paramref name="output"/> are the same memory or disjoint.
        /// </summary>
        private static void Map<TOperator>(ReadOnlySpan<float> input, Span<float> output, TOperator op)
            where TOperator : struct, IVectorFunction
        {
            ref float x = ref MemoryMarshal.GetReference(input);
            ref float y = ref MemoryMarshal.GetReference(output);
            nuint length = (nuint)input.Length;

            if (Vector256.IsHardwareAccelerated && length >= (nuint)Vector256<float>.Count)
            {
                nuint count = (nuint)Vector256<float>.Count;
                nuint i = 0;
                for (; i <= length - count; i += count)
                {
                    op.Apply(Vector256.LoadUnsafe(ref x, i)).StoreUnsafe(ref y, i);
                }

                if (i < length)
                {
                    // The last vector overlaps lanes that are already done. In place, their inputs
                    // were overwritten, so only the lanes this vector adds are stored.
                    nuint last = length - count;
                    Vector256<float> done = Vector256.LoadUnsafe(ref y, last);
                    Vector256<float> fresh = op.Apply(Vector256.LoadUnsafe(ref x, last));
                    Vector256<float> freshLanes = Vector256.GreaterThanOrEqual(
                        Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create((int)(count - (length - i)))).AsSingle();
                    Vector256.ConditionalSelect(freshLanes, fresh, done).StoreUnsafe(ref y, last);
                }

                return;
            }

            if (Vector128.IsHardwareAccelerated && length >= (nuint)Vector128<float>.Count)
            {
                nuint count = (nuint)Vector128<float>.Count;
                nuint i = 0;
                for (; i <= length - count; i += count)
                {
                    op.Apply(Vector128.LoadUnsafe(ref x, i)).StoreUnsafe(ref y, i);
                }

                if (i < length)
                {
                    nuint last = length - count;
                    Vector128<float> done = Vector128.LoadUnsafe(ref y, last);
                    Vector128<float> fresh = op.Apply(Vector128.LoadUnsafe(ref x, last));
                    Vector128<float> freshLanes = Vector128.GreaterThanOrEqual(
                        Vector128.Create(0, 1, 2, 3), Vector128.Create((int)(count - (length - i)))).AsSingle();
                    Vector128.ConditionalSelect(freshLanes, fresh, done).StoreUnsafe(ref y, last);
                }

                return;
            }

            for (nuint i = 0; i < length; i++)
            {
                Unsafe.Add(ref y, i) = op.Apply(Unsafe.Add(ref x, i));
            }
        }

        /// <summary>
        /// Runs <c>gradient[k] = op.Apply(saved[k], gradient[k])</c> with 256-bit vectors, then
        /// 128-bit, then scalar. <paramref name="saved"/> is the forward pass's output or input.
        /// </summary>
        private static void ScaleGradient<TOperator>(ReadOnlySpan<float> saved, Span<float> gradient, TOperator op)
            where TOperator : struct, IVectorGradient
        {
            ref float s = ref MemoryMarshal.GetReference(saved);
            ref float g = ref MemoryMarshal.GetReference(gradient);
            nuint length = (nuint)saved.Length;

            if (Vector256.IsHardwareAccelerated && length >= (nuint)Vector256<float>.Count)
            {
                nuint count = (nuint)Vector256<float>.Count;
                nuint i = 0;
                for (; i <= length - count; i += count)
                {
                    op.Apply(Vector256.LoadUnsafe(ref s, i), Vector256.LoadUnsafe(ref g, i)).StoreUnsafe(ref g, i);
                }

                if (i < length)
                {
                    nuint last = length - count;
                    Vector256<float> done = Vector256.LoadUnsafe(ref g, last);
                    Vector256<float> fresh = op.Apply(Vector256.LoadUnsafe(ref s, last), done);
                    Vector256<float> freshLanes = Vector256.GreaterThanOrEqual(
                        Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create((int)(count - (length - i)))).AsSingle();
                    Vector256.ConditionalSelect(freshLanes, fresh, done).StoreUnsafe(ref g, last);
                }

                return;
            }

            if (Vector128.IsHardwareAccelerated && length >= (nuint)Vector128<float>.Count)
            {
                nuint count = (nuint)Vector128<float>.Count;
                nuint i = 0;
                for (; i <= length - count; i += count)
                {
                    op.Apply(Vector128.LoadUnsafe(ref s, i), Vector128.LoadUnsafe(ref g, i)).StoreUnsafe(ref g, i);
                }

                if (i < length)
                {
                    nuint last = length - count;
                    Vector128<float> done = Vector128.LoadUnsafe(ref g, last);
                    Vector128<float> fresh = op.Apply(Vector128.LoadUnsafe(ref s, last), done);
                    Vector128<float> freshLanes = Vector128.GreaterThanOrEqual(
                        Vector128.Create(0, 1, 2, 3), Vector128.Create((int)(count - (length - i)))).AsSingle();
                    Vector128.ConditionalSelect(freshLanes, fresh, done).StoreUnsafe(ref g, last);
                }

                return;
            }

            for (nuint i = 0; i < length; i++)
            {
                Unsafe.Add(ref g, i) = op.Apply(Unsafe.Add(ref s, i), Unsafe.Add(ref g, i));
            }
        }

        /// <summary>Runs <c>output[k] = (float)op.Apply(input[k])</c> one element at a time, in double precision.</summary>
        private static void MapScalar<TOperator>(ReadOnlySpan<float> input, Span<float> output, TOperator op)
            where TOperator : struct, IScalarFunction
        {
            for (int k = 0; k < input.Length; k++)
            {
                output[k] = (float)op.Apply(input[k]);
            }
        }

        /// <summary>Runs <c>gradient[k] = (float)(gradient[k] · op.Apply(saved[k]))</c> one element at a time, in double precision.</summary>
        private static void ScaleGradientScalar<TOperator>(ReadOnlySpan<float> saved, Span<float> gradient, TOperator op)
            where TOperator : struct, IScalarFunction
        {
            for (int k = 0; k < saved.Length; k++)
            {
                gradient[k] = (float)(gradient[k] * op.Apply(saved[k]));
            }
        }

        /// <summary>Throws unless <paramref name="output"/> has the length of <paramref name="input"/> and is either the same memory or disjoint.</summary>
        private static void RequireMappable(ReadOnlySpan<float> input, Span<float> output)
        {
            KernelArguments.RequireSameLength(output.Length, input.Length, nameof(output), nameof(input));
            if (input.Overlaps(output, out int offset) && offset != 0)
            {
                ThrowPartialOverlap(offset);
            }
        }

        /// <summary>Throws unless <paramref name="value"/> is a finite number.</summary>
        private static void RequireFinite(float value, string name)
        {
            if (!float.IsFinite(value))
            {
                ThrowInvalidParameter(value, name, "must be a finite number", "Pass a finite value.");
            }
        }

        /// <summary>Throws unless <paramref name="value"/> is finite and zero or positive.</summary>
        private static void RequireFiniteNonNegative(float value, string name, string reason)
        {
            if (!float.IsFinite(value) || value < 0f)
            {
                ThrowInvalidParameter(value, name, "must be finite and zero or positive", reason);
            }
        }

        [DoesNotReturn]
        private static void ThrowPartialOverlap(int offset) =>
            throw new ArgumentException(
                $"The span 'output' overlaps 'input' shifted by {offset} elements. Pass the same span for an in-place call, or spans that do not overlap.",
                "output");

        [DoesNotReturn]
        private static void ThrowInvalidParameter(float value, string name, string requirement, string advice) =>
            throw new ArgumentOutOfRangeException(name, value, $"The parameter '{name}' {requirement}, but it is {value}. {advice}");

        /// <summary>An activation written in vector arithmetic, with the same result in every lane width.</summary>
        private interface IVectorFunction
        {
            float Apply(float x);

            Vector128<float> Apply(Vector128<float> x);

            Vector256<float> Apply(Vector256<float> x);
        }

        /// <summary>A backward step written in vector arithmetic: the gradient times f′, given the saved output or input.</summary>
        private interface IVectorGradient
        {
            float Apply(float saved, float gradient);

            Vector128<float> Apply(Vector128<float> saved, Vector128<float> gradient);

            Vector256<float> Apply(Vector256<float> saved, Vector256<float> gradient);
        }

        /// <summary>A function of one float evaluated in double precision: an activation or its derivative.</summary>
        private interface IScalarFunction
        {
            double Apply(double x);
        }
    }
}
