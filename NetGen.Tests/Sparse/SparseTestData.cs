using System;

namespace NetGen.Tests.Sparse
{
    /// <summary>Sparsity patterns and a double-precision reference for the sparse tests.</summary>
    public static class SparseTestData
    {
        /// <summary>The patterns each kernel test runs over.</summary>
        public enum Pattern
        {
            Random90,
            Random50,
            AllZeros,
            SingleNonZero,
            EmptyRowsAndOneFullRow,
            Dense,
        }

        internal static readonly Pattern[] AllPatterns = (Pattern[])Enum.GetValues(typeof(Pattern));

        /// <summary>Returns a [rows, columns] matrix with the given pattern and values uniform in [−1, 1) from a fixed seed.</summary>
        internal static float[] Matrix(int rows, int columns, Pattern pattern, int seed)
        {
            var random = new Random(seed);
            var matrix = new float[rows * columns];
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < columns; c++)
                {
                    float value = (float)(random.NextDouble() * 2 - 1);
                    bool stored = pattern switch
                    {
                        Pattern.Random90 => random.NextDouble() < 0.1,
                        Pattern.Random50 => random.NextDouble() < 0.5,
                        Pattern.AllZeros => false,
                        Pattern.SingleNonZero => r == rows / 2 && c == columns - 1,
                        // Every third row is empty, the middle row is full, the others are random.
                        Pattern.EmptyRowsAndOneFullRow => r == rows / 2 || (r % 3 != 0 && random.NextDouble() < 0.3),
                        _ => true,
                    };
                    matrix[r * columns + c] = stored ? value : 0f;
                }
            }

            return matrix;
        }

        /// <summary>Returns y[b, o] = bias[o] + Σ_i x[b, i]·w[o, i] in double, with x [batch, inputs] and w [outputs, inputs].</summary>
        internal static double[] ReferenceForward(float[] x, float[] w, float[] bias, int batch, int inputs, int outputs)
        {
            var y = new double[batch * outputs];
            for (int b = 0; b < batch; b++)
            {
                for (int o = 0; o < outputs; o++)
                {
                    double sum = bias[o];
                    for (int i = 0; i < inputs; i++)
                    {
                        sum += (double)x[b * inputs + i] * w[o * inputs + i];
                    }

                    y[b * outputs + o] = sum;
                }
            }

            return y;
        }

        /// <summary>Returns Σ_i |x[b, i]·w[o, i]| + |bias[o]|, the scale of the rounding error of y[b, o].</summary>
        internal static double[] ReferenceScale(float[] x, float[] w, float[] bias, int batch, int inputs, int outputs)
        {
            var scale = new double[batch * outputs];
            for (int b = 0; b < batch; b++)
            {
                for (int o = 0; o < outputs; o++)
                {
                    double sum = Math.Abs(bias[o]);
                    for (int i = 0; i < inputs; i++)
                    {
                        sum += Math.Abs((double)x[b * inputs + i] * w[o * inputs + i]);
                    }

                    scale[b * outputs + o] = sum;
                }
            }

            return scale;
        }

        /// <summary>Returns the transpose of a row-major [rows, columns] matrix, computed element by element.</summary>
        internal static float[] Transposed(float[] source, int rows, int columns)
        {
            var result = new float[source.Length];
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < columns; c++)
                {
                    result[c * rows + r] = source[r * columns + c];
                }
            }

            return result;
        }
    }
}
