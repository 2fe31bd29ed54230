using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace NetGen
{
    /// <summary>Range checks of public arguments whose messages name the value and give the valid range and a fix.</summary>
    internal static class ArgumentRules
    {
        /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless <paramref name="value"/> is at least <paramref name="minimum"/>.</summary>
        /// <param name="value">The argument.</param>
        /// <param name="minimum">Its smallest valid value.</param>
        /// <param name="advice">What to pass, as one sentence.</param>
        /// <param name="name">The parameter's name; the compiler fills it in.</param>
        public static void RequireAtLeast(long value, long minimum, string advice, [CallerArgumentExpression(nameof(value))] string name = "")
        {
            if (value < minimum)
            {
                ThrowBelow(value, minimum, advice, name);
            }
        }

        [DoesNotReturn]
        private static void ThrowBelow(long value, long minimum, string advice, string name) =>
            throw new ArgumentOutOfRangeException(name, value, $"'{name}' is {value}, but it must be at least {minimum}. {advice}");
    }
}
