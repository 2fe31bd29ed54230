namespace NetGen.Tests;

public class SmokeTests
{
    [Fact]
    public void Workspace_RejectsZeroBatch() =>
        Assert.Throws<System.ArgumentOutOfRangeException>(() => new Workspace("x", 0, 1, 1));

    [Theory]
    [InlineData(-1)]
    [InlineData(9)]
    public void Workspace_RejectsBatchSizeOutsideItsBuffers(int batchSize)
    {
        var workspace = new Workspace("x", maxBatchSize: 8, activationsPerSample: 1, parameterCount: 1);

        var exception = Assert.Throws<System.ArgumentOutOfRangeException>(() => workspace.BatchSize = batchSize);

        Assert.Contains("from 0 to this workspace's MaxBatchSize, 8", exception.Message, System.StringComparison.Ordinal);
        Assert.Equal(0, workspace.BatchSize);
        workspace.BatchSize = 8;
        Assert.Equal(8, workspace.BatchSize);
    }
}
