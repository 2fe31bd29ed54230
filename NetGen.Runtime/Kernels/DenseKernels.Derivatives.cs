using System.Runtime.CompilerServices;

namespace NetGen.Kernels
{
    /// <summary>
    /// The derivative of an activation, computed from the activation's outputs, that the backward
    /// input kernel multiplies into each tile of dx before it stores the tile. A network then needs
    /// no separate pass over dx for the activation of the layer below.
    /// </summary>
    /// <remarks>
    /// Each form does the operations of the matching <see cref="ActivationKernels"/> backward
    /// kernel in the same order, so a fused pass gives the bits of the two separate passes.
    /// </remarks>
    internal interface IOutputDerivative
    {
        /// <summary>Returns <c>gradient · f′</c>, with f′ computed from the activation's <paramref name="output"/>.</summary>
        static abstract TVector Scale<TSimd, TVector>(TVector output, TVector gradient)
            where TSimd : ISimd<TVector>
            where TVector : struct;
    }

    /// <summary>No activation: the gradient passes unchanged, and the kernel never reads the outputs.</summary>
    internal readonly struct NoDerivative : IOutputDerivative
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVector Scale<TSimd, TVector>(TVector output, TVector gradient)
            where TSimd : ISimd<TVector>
            where TVector : struct => gradient;
    }

    /// <summary>ReLU′ from y: the gradient times 1 where y &gt; 0, else times 0, as <see cref="ActivationKernels.ReluBackward"/>.</summary>
    internal readonly struct ReluOutputDerivative : IOutputDerivative
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVector Scale<TSimd, TVector>(TVector output, TVector gradient)
            where TSimd : ISimd<TVector>
            where TVector : struct =>
            TSimd.Multiply(gradient, TSimd.And(TSimd.Broadcast(1f), TSimd.PositiveMask(output)));
    }

    /// <summary>tanh′ = 1 − y², as <see cref="ActivationKernels.TanhBackward"/>.</summary>
    internal readonly struct TanhOutputDerivative : IOutputDerivative
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVector Scale<TSimd, TVector>(TVector output, TVector gradient)
            where TSimd : ISimd<TVector>
            where TVector : struct =>
            TSimd.Multiply(gradient, TSimd.Subtract(TSimd.Broadcast(1f), TSimd.Multiply(output, output)));
    }

    /// <summary>σ′ = y(1 − y), as <see cref="ActivationKernels.SigmoidBackward"/>.</summary>
    internal readonly struct SigmoidOutputDerivative : IOutputDerivative
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVector Scale<TSimd, TVector>(TVector output, TVector gradient)
            where TSimd : ISimd<TVector>
            where TVector : struct =>
            TSimd.Multiply(gradient, TSimd.Multiply(output, TSimd.Subtract(TSimd.Broadcast(1f), output)));
    }
}
