using System;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace NetGen.Kernels
{
    /// <summary>Argument checks that every kernel runs once at entry, before its unchecked loops.</summary>
    internal static class KernelArguments
    {
        /// <summary>Throws unless <paramref name="value"/> is zero or positive.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal static void RequireSize(int value, [CallerArgumentExpression(nameof(value))] string name = "")
        {
            if (value < 0)
            {
                ThrowNegativeSize(value, name);
            }
        }

        /// <summary>Throws unless <paramref name="value"/> is at least 1.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal static void RequirePositiveBatch(int value, [CallerArgumentExpression(nameof(value))] string name = "")
        {
            if (value < 1)
            {
                ThrowNonPositiveBatch(value, name);
            }
        }

        /// <summary>Throws unless the span <paramref name="name"/> contains exactly <paramref name="rows"/> × <paramref name="columns"/> floats.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal static void RequireLength(int actual, int rows, int columns, string name, string rowsName, string columnsName)
        {
            if (actual != (long)rows * columns)
            {
                ThrowLengthMismatch(actual, rows, columns, name, rowsName, columnsName);
            }
        }

        /// <summary>Throws unless the span <paramref name="name"/> contains exactly <paramref name="expected"/> floats.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal static void RequireLength(int actual, int expected, string name, string expectedName)
        {
            if (actual != expected)
            {
                ThrowLengthMismatch(actual, expected, name, expectedName);
            }
        }

        /// <summary>Throws unless the two spans have the same length.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal static void RequireSameLength(int actual, int expected, string name, string otherName)
        {
            if (actual != expected)
            {
                ThrowLengthMismatch(actual, expected, name, $"the length of '{otherName}'");
            }
        }

        [DoesNotReturn]
        private static void ThrowNegativeSize(int value, string name) =>
            throw new ArgumentOutOfRangeException(name, value, $"The size '{name}' must be zero or positive, but it is {value}.");

        [DoesNotReturn]
        private static void ThrowNonPositiveBatch(int value, string name) =>
            throw new ArgumentOutOfRangeException(name, value, $"The loss is a mean over the batch, so '{name}' must be at least 1, but it is {value}.");

        [DoesNotReturn]
        private static void ThrowLengthMismatch(int actual, int rows, int columns, string name, string rowsName, string columnsName) =>
            throw new ArgumentException(
                $"The span '{name}' must have exactly {(long)rows * columns} elements ({rowsName} {rows} × {columnsName} {columns}), but it has {actual}. Pass a span of that length, for example a slice of a larger buffer.",
                name);

        [DoesNotReturn]
        private static void ThrowLengthMismatch(int actual, int expected, string name, string expectedName) =>
            throw new ArgumentException(
                $"The span '{name}' must have exactly {expected} elements ({expectedName}), but it has {actual}. Pass a span of that length, for example a slice of a larger buffer.",
                name);
    }
}
