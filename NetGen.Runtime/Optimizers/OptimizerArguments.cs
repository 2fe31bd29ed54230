using System;

namespace NetGen
{
    /// <summary>Argument and length checks shared by the optimizers.</summary>
    internal static class OptimizerArguments
    {
        /// <summary>Throws unless <paramref name="value"/> is finite and at least 0.</summary>
        /// <param name="value">Hyperparameter to check.</param>
        /// <param name="paramName">Name of the constructor or property argument.</param>
        /// <param name="description">What the value is, as it reads in a sentence ("The momentum").</param>
        public static void RequireFiniteNonNegative(float value, string paramName, string description)
        {
            if (!float.IsFinite(value) || value < 0)
            {
                throw new ArgumentOutOfRangeException(paramName, value,
                    $"{description} must be a finite number greater than or equal to 0. Pass 0 to disable it, or a positive value.");
            }
        }

        /// <summary>Throws unless <paramref name="value"/> is a finite number.</summary>
        /// <param name="value">Hyperparameter to check.</param>
        /// <param name="paramName">Name of the constructor argument.</param>
        /// <param name="description">What the value is, as it reads in a sentence ("The dampening").</param>
        public static void RequireFinite(float value, string paramName, string description)
        {
            if (!float.IsFinite(value))
            {
                throw new ArgumentOutOfRangeException(paramName, value,
                    $"{description} must be a finite number, not NaN or infinity.");
            }
        }

        /// <summary>Throws unless <paramref name="value"/> is an exponential decay rate in [0, 1).</summary>
        /// <param name="value">Decay rate to check.</param>
        /// <param name="paramName">Name of the constructor argument.</param>
        public static void RequireDecayRate(float value, string paramName)
        {
            // The negated comparison also rejects NaN.
            if (!(value >= 0 && value < 1))
            {
                throw new ArgumentOutOfRangeException(paramName, value,
                    $"The decay rate {paramName} must be at least 0 and less than 1, such as 0.9 or 0.999.");
            }
        }

        /// <summary>Throws unless <paramref name="value"/> is finite and greater than 0.</summary>
        /// <param name="value">Hyperparameter to check.</param>
        /// <param name="paramName">Name of the constructor or method argument.</param>
        /// <param name="description">What the value is, as it reads in a sentence ("The maximum norm").</param>
        public static void RequireFinitePositive(float value, string paramName, string description)
        {
            if (!float.IsFinite(value) || value <= 0)
            {
                throw new ArgumentOutOfRangeException(paramName, value,
                    $"{description} must be a finite number greater than 0.");
            }
        }

        /// <summary>Throws unless <paramref name="value"/> is at least <paramref name="minimum"/>.</summary>
        /// <param name="value">Count to check.</param>
        /// <param name="minimum">Smallest accepted value.</param>
        /// <param name="paramName">Name of the constructor or method argument.</param>
        /// <param name="description">What the value is, as it reads in a sentence ("The step size").</param>
        public static void RequireAtLeast(int value, int minimum, string paramName, string description)
        {
            if (value < minimum)
            {
                throw new ArgumentOutOfRangeException(paramName, value,
                    $"{description} must be at least {minimum}.");
            }
        }

        /// <summary>
        /// Throws unless the parameters and gradients have one length and, once state exists, the
        /// length that the state was allocated for.
        /// </summary>
        /// <param name="parameterCount">Length of the parameter span.</param>
        /// <param name="gradientCount">Length of the gradient span.</param>
        /// <param name="stateLength">Length fixed by the first step, or -1 before it.</param>
        public static void CheckStepLengths(int parameterCount, int gradientCount, int stateLength)
        {
            if (parameterCount != gradientCount)
            {
                ThrowGradientLengthMismatch(parameterCount, gradientCount);
            }

            if (stateLength >= 0 && parameterCount != stateLength)
            {
                ThrowStateLengthMismatch(parameterCount, stateLength);
            }
        }

        /// <summary>
        /// Throws unless a step has begun (<paramref name="stateLength"/> ≥ 0), the range's
        /// parameters and gradients have one length, and the range lies inside the step's parameters.
        /// </summary>
        /// <param name="start">Index of the range's first parameter.</param>
        /// <param name="parameterCount">Length of the range's parameter span.</param>
        /// <param name="gradientCount">Length of the range's gradient span.</param>
        /// <param name="stateLength">Parameter count of the step begun, or -1 before the first.</param>
        public static void CheckRange(int start, int parameterCount, int gradientCount, int stateLength)
        {
            if (stateLength < 0)
            {
                throw new InvalidOperationException(
                    "StepRange updates part of a step that BeginStep starts, but no step has begun since the optimizer was created or reset. Call BeginStep(parameterCount) first.");
            }

            if (parameterCount != gradientCount)
            {
                ThrowGradientLengthMismatch(parameterCount, gradientCount);
            }

            if (parameterCount > stateLength)
            {
                throw new ArgumentException(
                    $"The range has {parameterCount} parameters, but the step has only {stateLength}. Pass a range of at most {stateLength} parameters.",
                    "parameters");
            }

            if (start < 0 || start > stateLength - parameterCount)
            {
                throw new ArgumentOutOfRangeException(nameof(start), start,
                    $"The range of {parameterCount} parameters from {start} on must lie inside the step's {stateLength} parameters. Pass a start from 0 to {Math.Max(0, stateLength - parameterCount)}.");
            }
        }

        /// <summary>
        /// Runs one step of an elementwise optimizer over all parameters, after the length checks
        /// of <see cref="IOptimizer.Step"/>, one block of <see cref="Kernels.CacheBlocks"/> at a
        /// time. In one range over a large network, TensorPrimitives would write the parameters and
        /// the optimizer state past the caches.
        /// </summary>
        /// <param name="optimizer">The optimizer to step.</param>
        /// <param name="parameters">All parameters, updated in place.</param>
        /// <param name="gradients">One gradient per parameter.</param>
        /// <param name="stateLength">The optimizer's length fixed by the first step, or -1 before it.</param>
        public static void StepWhole(IElementwiseOptimizer optimizer, Span<float> parameters, ReadOnlySpan<float> gradients, int stateLength)
        {
            CheckStepLengths(parameters.Length, gradients.Length, stateLength);
            optimizer.BeginStep(parameters.Length);

            // An empty parameter set still gets its one (empty) range, as a single call would.
            int start = 0;
            do
            {
                optimizer.StepRange(start, Kernels.CacheBlocks.Slice(parameters, start), Kernels.CacheBlocks.Slice(gradients, start));
                start = Kernels.CacheBlocks.Next(parameters.Length, start);
            }
            while (start < parameters.Length);
        }

        /// <summary>
        /// Throws unless <paramref name="parameterCount"/> is at least 0 and, once state exists,
        /// equals the count that the state was allocated for.
        /// </summary>
        /// <param name="parameterCount">Parameter count that BeginStep received.</param>
        /// <param name="stateLength">Length fixed by the first step, or -1 before it.</param>
        public static void CheckBeginStep(int parameterCount, int stateLength)
        {
            if (parameterCount < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(parameterCount), parameterCount,
                    "A step covers at least 0 parameters. Pass the length of the parameter span.");
            }

            if (stateLength >= 0 && parameterCount != stateLength)
            {
                throw new ArgumentException(
                    $"BeginStep received {parameterCount} parameters, but the optimizer state was allocated for {stateLength} parameters on the first step. " +
                    "Use one optimizer per parameter set, or call Reset() before stepping a parameter set of another length.",
                    nameof(parameterCount));
            }
        }

        private static void ThrowGradientLengthMismatch(int parameterCount, int gradientCount) =>
            throw new ArgumentException(
                $"The step received {parameterCount} parameters but {gradientCount} gradients. Pass exactly one gradient per parameter.",
                "gradients");

        private static void ThrowStateLengthMismatch(int parameterCount, int stateLength) =>
            throw new ArgumentException(
                $"Step received {parameterCount} parameters, but the optimizer state was allocated for {stateLength} parameters on the first step. " +
                "Use one optimizer per parameter set, or call Reset() before stepping a parameter set of another length.",
                "parameters");
    }
}
