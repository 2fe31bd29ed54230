namespace NetGen.Kernels
{
    /// <summary>
    /// A small count as a type argument. A kernel generic over it is compiled once per count, so
    /// the JIT drops the branches and registers that the count does not use.
    /// </summary>
    internal interface IStaticCount
    {
        /// <summary>The count.</summary>
        static abstract int Value { get; }
    }

    internal readonly struct Count1 : IStaticCount
    {
        public static int Value => 1;
    }

    internal readonly struct Count2 : IStaticCount
    {
        public static int Value => 2;
    }

    internal readonly struct Count3 : IStaticCount
    {
        public static int Value => 3;
    }

    internal readonly struct Count4 : IStaticCount
    {
        public static int Value => 4;
    }

    internal readonly struct Count5 : IStaticCount
    {
        public static int Value => 5;
    }

    internal readonly struct Count6 : IStaticCount
    {
        public static int Value => 6;
    }
}
