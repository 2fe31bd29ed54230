using System;
using System.CommandLine;
using System.CommandLine.Parsing;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.IO;

namespace NetGen.Samples;

/// <summary>
/// Validators that the sample commands add to their options. Each error names the option, the
/// value it received and the accepted range.
/// </summary>
internal static class OptionValidation
{
    /// <summary>The maximum number of threads that <see cref="Trainer{TNetwork}"/> accepts.</summary>
    public const int MaxThreads = 64;

    /// <summary>The default of the --threads options: one per logical processor, at most <see cref="MaxThreads"/>.</summary>
    public static int DefaultThreads => Math.Min(Environment.ProcessorCount, MaxThreads);

    /// <summary>Rejects values below <paramref name="minimum"/>.</summary>
    public static void RequireAtLeast(Option<int> option, int minimum) =>
        option.Validators.Add(result =>
        {
            if (TryGetValue(result, out int value) && value < minimum)
            {
                result.AddError($"{option.Name} is {value}, but it must be at least {minimum}.");
            }
        });

    /// <summary>Rejects values outside [<paramref name="minimum"/>, <paramref name="maximum"/>].</summary>
    public static void RequireBetween(Option<int> option, int minimum, int maximum) =>
        option.Validators.Add(result =>
        {
            if (TryGetValue(result, out int value) && (value < minimum || value > maximum))
            {
                result.AddError($"{option.Name} is {value}, but it must be between {minimum} and {maximum}.");
            }
        });

    /// <summary>
    /// Rejects values outside [<paramref name="minimum"/>, <paramref name="maximum"/>] and NaN.
    /// The error ends with <paramref name="advice"/>, a sentence that explains what the value means
    /// or what to pass.
    /// </summary>
    public static void RequireBetween(Option<double?> option, double minimum, double maximum, string advice) =>
        option.Validators.Add(result =>
        {
            if (TryGetValue(result, out double? value) && value is double number && !(number >= minimum && number <= maximum))
            {
                result.AddError($"{option.Name} is {Format(number)}, but it must be between {Format(minimum)} and {Format(maximum)}. {advice}");
            }
        });

    /// <summary>Rejects values below <paramref name="minimum"/> and NaN, with <paramref name="advice"/> as in <see cref="RequireBetween(Option{double?}, double, double, string)"/>.</summary>
    public static void RequireAtLeast(Option<double?> option, double minimum, string advice) =>
        option.Validators.Add(result =>
        {
            if (TryGetValue(result, out double? value) && value is double number && !(number >= minimum))
            {
                result.AddError($"{option.Name} is {Format(number)}, but it must be at least {Format(minimum)}. {advice}");
            }
        });

    /// <summary>Rejects zero, negative values, infinity and NaN, with <paramref name="advice"/> as in <see cref="RequireBetween(Option{double?}, double, double, string)"/>.</summary>
    public static void RequirePositive(Option<double?> option, string advice) =>
        option.Validators.Add(result =>
        {
            if (TryGetValue(result, out double? value) && value is double number && !(number > 0 && double.IsFinite(number)))
            {
                result.AddError($"{option.Name} is {Format(number)}, but it must be a finite number greater than 0. {advice}");
            }
        });

    /// <summary>
    /// Rejects NaN, infinity and values below 0, or at 0 when <paramref name="allowZero"/> is
    /// false, so that a step size or decay factor fails at parsing instead of when the optimizer
    /// is built after the data has loaded.
    /// </summary>
    public static void RequireFinite(Option<float> option, bool allowZero, string advice) =>
        option.Validators.Add(result =>
        {
            if (TryGetValue(result, out float value) && !(float.IsFinite(value) && (value > 0 || (allowZero && value == 0))))
            {
                string range = allowZero ? "a finite number of at least 0" : "a finite number greater than 0";
                result.AddError($"{option.Name} is {value.ToString(CultureInfo.InvariantCulture)}, but it must be {range}. {advice}");
            }
        });

    /// <summary>
    /// Rejects a file path whose folder does not exist, or that names a folder, so that the command
    /// stops before training rather than when it saves. Write permission is not checked, so a
    /// read-only folder still fails at the save.
    /// </summary>
    /// <param name="option">An <c>Option&lt;FileInfo&gt;</c> or <c>Option&lt;FileInfo?&gt;</c>.</param>
    public static void RequireFileInExistingFolder(Option option) =>
        option.Validators.Add(result =>
        {
            if (!TryGetValue(result, out FileInfo? file) || file is null)
            {
                return;
            }

            if (Directory.Exists(file.FullName))
            {
                result.AddError($"{option.Name} is {file.FullName}, which is a folder, but it must name a file. Pass the path of a file in that folder.");
            }
            else if (file.Directory is { Exists: false } folder)
            {
                result.AddError(File.Exists(folder.FullName)
                    ? $"{option.Name} is {file.FullName}, but {folder.FullName} is a file, not a folder. Pass a path in an existing folder."
                    : $"{option.Name} is {file.FullName}, but the folder {folder.FullName} does not exist. Create the folder or pass a path in an existing one.");
            }
        });

    /// <summary>
    /// Reads the value of <paramref name="result"/>, or returns false when its token does not
    /// convert to <typeparamref name="T"/>.
    /// </summary>
    /// <remarks>
    /// System.CommandLine 3.0 runs an option's validators before it converts the token, and
    /// <see cref="OptionResult.GetValueOrDefault{T}"/> throws when the conversion fails. The failed
    /// conversion is still recorded as a parse error (for numbers, the one that
    /// <see cref="NumberOptions"/> words: "--epochs is 'abc', but it must be a whole number, such
    /// as 10."), so a validator that gets false adds no error of its own, and the command prints
    /// that one and exits with code 1.
    /// </remarks>
    public static bool TryGetValue<T>(OptionResult result, [MaybeNullWhen(false)] out T value)
    {
        try
        {
            value = result.GetValueOrDefault<T>();
            return true;
        }
        catch (InvalidOperationException)
        {
            value = default;
            return false;
        }
    }

    private static string Format(double value) => value.ToString(CultureInfo.InvariantCulture);
}
