using System;
using System.Linq;
using NetGen.Sparse;
using NetGen.Tests.Kernels;

namespace NetGen.Tests.Sparse
{
    public class PruningTests
    {
        [Theory]
        [InlineData(0, 0.5, 0)]
        [InlineData(10, 0.0, 0)]
        [InlineData(10, 1.0, 10)]
        [InlineData(10, 0.25, 3)]
        [InlineData(5, 0.5, 3)]
        [InlineData(1000, 0.9, 900)]
        [InlineData(200704, 0.95, 190669)]
        public void PrunedCount_RoundsHalfUp(int count, double sparsity, int expected) =>
            Assert.Equal(expected, MagnitudePruning.PrunedCount(count, sparsity));

        [Theory]
        [InlineData(1, 0.5)]
        [InlineData(17, 0.5)]
        [InlineData(1000, 0.9)]
        [InlineData(1000, 0.95)]
        [InlineData(784 * 32, 0.8)]
        public void Prune_HitsExactCountOfSmallestMagnitudes(int count, double sparsity)
        {
            float[] weights = TestValues.Uniform(count, seed: count);
            float[] original = (float[])weights.Clone();
            PruningMask mask = MagnitudePruning.Prune(weights, sparsity);

            int expectedPruned = (int)Math.Round(sparsity * count, MidpointRounding.AwayFromZero);
            Assert.Equal(expectedPruned, mask.PrunedCount);
            Assert.Equal(expectedPruned, weights.Count(w => w == 0f));

            // The pruned magnitudes are exactly the smallest ones, found here by a plain sort.
            float[] sortedMagnitudes = original.Select(MathF.Abs).OrderBy(m => m).ToArray();
            for (int i = 0; i < count; i++)
            {
                if (mask.IsKept(i))
                {
                    Assert.Equal(original[i], weights[i]);
                    Assert.True(expectedPruned == 0 || MathF.Abs(original[i]) >= sortedMagnitudes[expectedPruned - 1], $"kept weight {i} is smaller than a pruned one");
                }
                else
                {
                    Assert.True(MathF.Abs(original[i]) <= sortedMagnitudes[expectedPruned - 1], $"pruned weight {i} is larger than a kept one");
                }
            }
        }

        [Fact]
        public void Prune_TiesPruneLowerIndexFirst()
        {
            float[] weights = [0.5f, -0.5f, 0.5f, 0.25f, -0.5f, 0.5f];
            PruningMask mask = MagnitudePruning.Prune(weights, sparsity: 0.5);

            // 0.25 goes first, then the two lowest indices among the six equal magnitudes.
            Assert.Equal([0f, 0f, 0.5f, 0f, -0.5f, 0.5f], weights);
            Assert.Equal(3, mask.KeptCount);
        }

        [Fact]
        public void Prune_ExistingZerosCountTowardsTarget()
        {
            float[] weights = [0f, 3f, -0f, 1f, 2f];
            MagnitudePruning.Prune(weights, sparsity: 0.6);
            Assert.Equal([0f, 3f, 0f, 0f, 2f], weights);
        }

        [Fact]
        public void Prune_InvalidInput_Throws()
        {
            var nan = Assert.Throws<ArgumentException>(() => MagnitudePruning.Prune(new[] { 1f, float.NaN }, 0.5));
            Assert.Contains("index 1", nan.Message, StringComparison.Ordinal);
            Assert.Throws<ArgumentOutOfRangeException>(() => MagnitudePruning.Prune(new float[4], 1.5));
            Assert.Throws<ArgumentOutOfRangeException>(() => MagnitudePruning.Prune(new float[4], -0.1));
            Assert.Throws<ArgumentOutOfRangeException>(() => MagnitudePruning.Prune(new float[4], double.NaN));
        }

        [Fact]
        public void PruneGlobal_UsesOneThresholdAcrossLayers()
        {
            // The second layer's weights are 10 times smaller, so it must end up much sparser.
            float[] large = TestValues.Uniform(400, seed: 1);
            float[] small = TestValues.Uniform(600, seed: 2, scale: 0.1f);
            float[] largeOriginal = (float[])large.Clone();
            float[] smallOriginal = (float[])small.Clone();

            PruningMask[] masks = MagnitudePruning.PruneGlobal([large, small], sparsity: 0.5);

            Assert.Equal(500, masks[0].PrunedCount + masks[1].PrunedCount);
            Assert.True(masks[1].Sparsity > 0.75, $"small layer sparsity {masks[1].Sparsity}");
            Assert.True(masks[0].Sparsity < 0.25, $"large layer sparsity {masks[0].Sparsity}");

            float maxPruned = 0f, minKept = float.MaxValue;
            foreach ((float[] original, PruningMask mask) in new[] { (largeOriginal, masks[0]), (smallOriginal, masks[1]) })
            {
                for (int i = 0; i < original.Length; i++)
                {
                    if (mask.IsKept(i))
                    {
                        minKept = Math.Min(minKept, MathF.Abs(original[i]));
                    }
                    else
                    {
                        maxPruned = Math.Max(maxPruned, MathF.Abs(original[i]));
                    }
                }
            }

            Assert.True(maxPruned <= minKept, $"largest pruned {maxPruned} exceeds smallest kept {minKept}");
            Assert.Equal(masks[0].PrunedCount, large.Count(w => w == 0f));
            Assert.Equal(masks[1].PrunedCount, small.Count(w => w == 0f));
        }

        [Fact]
        public void Mask_ReappliedAfterAdamSteps_KeepsPrunedWeightsZero()
        {
            float[] weights = TestValues.Uniform(64, seed: 3);
            PruningMask mask = MagnitudePruning.Prune(weights, sparsity: 0.75);
            var adam = new Adam(learningRate: 0.01f);

            for (int step = 0; step < 20; step++)
            {
                // Gradients on every weight, pruned ones included, as a dense backward pass produces.
                float[] gradients = TestValues.Uniform(64, seed: 100 + step);
                adam.Step(weights, gradients);
                Assert.True(weights.Count(w => w != 0f) > mask.KeptCount, "Adam should move pruned weights before the mask is reapplied");

                mask.Apply(weights);
                for (int i = 0; i < weights.Length; i++)
                {
                    Assert.True(mask.IsKept(i) || weights[i] == 0f, $"step {step}: pruned weight {i} is {weights[i]}");
                }
            }

            Assert.True(weights.Count(w => w != 0f) == mask.KeptCount, "every kept weight should be non-zero after training");
        }

        [Fact]
        public void Mask_ApplyKeepsKeptBitsAndChecksLength()
        {
            PruningMask mask = PruningMask.FromFlags([true, false, true, false]);
            float[] values = [float.NaN, float.PositiveInfinity, -0f, -3f];
            mask.Apply(values);

            Assert.True(float.IsNaN(values[0]));
            Assert.Equal(0f, values[1]);
            Assert.True(float.IsNegative(values[2]));
            Assert.Equal(0f, values[3]);

            var bytes = new byte[4];
            mask.CopyTo(bytes);
            Assert.Equal(new byte[] { 1, 0, 1, 0 }, bytes);
            Assert.Equal(0.5, mask.Sparsity);

            var error = Assert.Throws<ArgumentException>(() => mask.Apply(new float[5]));
            Assert.Contains("4", error.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Schedule_FollowsZhuGuptaCubic()
        {
            var schedule = new GradualPruningSchedule(initialSparsity: 0.1, finalSparsity: 0.9, startStep: 100, pruningSteps: 10, stepsBetweenPruning: 50);

            Assert.Equal(600, schedule.EndStep);
            Assert.Equal(0.1, schedule.SparsityAt(0));
            Assert.Equal(0.1, schedule.SparsityAt(100));
            Assert.Equal(0.9, schedule.SparsityAt(600));
            Assert.Equal(0.9, schedule.SparsityAt(10_000));

            for (int k = 0; k <= 10; k++)
            {
                long step = 100 + 50 * k;
                double expected = 0.9 + (0.1 - 0.9) * Math.Pow(1 - k / 10.0, 3);
                Assert.Equal(expected, schedule.SparsityAt(step), precision: 12);
                Assert.True(schedule.IsPruningStep(step));

                // Between pruning steps the target stays at the last pruning step's value.
                if (k < 10)
                {
                    Assert.Equal(expected, schedule.SparsityAt(step + 49), precision: 12);
                    Assert.False(schedule.IsPruningStep(step + 1));
                }
            }

            Assert.False(schedule.IsPruningStep(50));
            Assert.False(schedule.IsPruningStep(650));
        }

        [Fact]
        public void Schedule_InvalidArguments_Throw()
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => new GradualPruningSchedule(0.5, 0.4, 0, 10, 1));
            Assert.Throws<ArgumentOutOfRangeException>(() => new GradualPruningSchedule(0, 1.1, 0, 10, 1));
            Assert.Throws<ArgumentOutOfRangeException>(() => new GradualPruningSchedule(0, 0.9, -1, 10, 1));
            Assert.Throws<ArgumentOutOfRangeException>(() => new GradualPruningSchedule(0, 0.9, 0, 0, 1));
            Assert.Throws<ArgumentOutOfRangeException>(() => new GradualPruningSchedule(0, 0.9, 0, 10, 0));
        }

        [Theory]
        [InlineData(4, 16, 0.5)]
        [InlineData(3, 11, 0.5)]
        [InlineData(32, 784, 0.9)]
        [InlineData(5, 3, 0.4)]
        public void BlockPrune_RemovesWholeBlocksOfSmallestNorm(int rows, int columns, double sparsity)
        {
            float[] weights = TestValues.Uniform(rows * columns, seed: rows * columns);
            float[] original = (float[])weights.Clone();
            PruningMask mask = BlockPruning.Prune(weights, rows, columns, sparsity);

            int blocksPerRow = (columns + 7) / 8;
            int blockCount = rows * blocksPerRow;
            Assert.Equal(blockCount, BlockPruning.BlockCount(rows, columns));
            int expectedPruned = (int)Math.Round(sparsity * blockCount, MidpointRounding.AwayFromZero);

            // Each block is either entirely kept with its values unchanged or entirely zero.
            var pruned = new bool[blockCount];
            var norms = new double[blockCount];
            for (int r = 0; r < rows; r++)
            {
                for (int j = 0; j < blocksPerRow; j++)
                {
                    int block = r * blocksPerRow + j;
                    int start = r * columns + 8 * j;
                    int end = r * columns + Math.Min(columns, 8 * j + 8);
                    pruned[block] = !mask.IsKept(start);
                    for (int i = start; i < end; i++)
                    {
                        norms[block] += (double)original[i] * original[i];
                        Assert.Equal(pruned[block], !mask.IsKept(i));
                        Assert.Equal(pruned[block] ? 0f : original[i], weights[i]);
                    }
                }
            }

            Assert.Equal(expectedPruned, pruned.Count(p => p));
            double maxPruned = norms.Where((n, b) => pruned[b]).DefaultIfEmpty(0).Max();
            double minKept = norms.Where((n, b) => !pruned[b]).DefaultIfEmpty(double.MaxValue).Min();
            Assert.True(maxPruned <= minKept, $"largest pruned norm² {maxPruned} exceeds smallest kept {minKept}");
        }

        [Fact]
        public void BlockPrune_ThenBlockCsr_StoresOnlyKeptBlocks()
        {
            float[] weights = TestValues.Uniform(8 * 64, seed: 9);
            BlockPruning.Prune(weights, rows: 8, columns: 64, sparsity: 0.75);
            BlockCsrMatrix matrix = BlockCsrMatrix.FromDense(weights, rows: 8, columns: 64);

            Assert.Equal(16, matrix.BlockCount);
            Assert.Equal(0.75, matrix.Sparsity, precision: 12);
        }
    }
}
