namespace NetGen.Tests;

public class SmokeTests
{
    [Fact]
    public void Workspace_RejectsZeroBatch() =>
        Assert.Throws<System.ArgumentOutOfRangeException>(() => new Workspace("x", 0, 1, 1));
}
