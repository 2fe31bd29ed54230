using System;
using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Linq;
using System.Numerics;

namespace NetGen.Samples;

/// <summary>
/// Parses the numeric options of the sample commands in the invariant culture, with an error that
/// names the option, the text it received and the kind of number it takes. System.CommandLine's
/// own message names the .NET type instead ("as expected type 'System.Int32'").
/// </summary>
internal static class NumberOptions
{
    /// <summary>Sets the parser of <paramref name="option"/> if it takes an int, float or double, nullable or not, and returns whether it did.</summary>
    public static bool Configure(Option option)
    {
        switch (option)
        {
            case Option<int> whole:
                whole.CustomParser = result => Parse<int>(result, whole.Name);
                return true;
            case Option<int?> whole:
                whole.CustomParser = result => Parse<int>(result, whole.Name);
                return true;
            case Option<float> real:
                real.CustomParser = result => Parse<float>(result, real.Name);
                return true;
            case Option<float?> real:
                real.CustomParser = result => Parse<float>(result, real.Name);
                return true;
            case Option<double> real:
                real.CustomParser = result => Parse<double>(result, real.Name);
                return true;
            case Option<double?> real:
                real.CustomParser = result => Parse<double>(result, real.Name);
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// Returns why <paramref name="value"/>, parsed from <paramref name="text"/>, is not the number
    /// typed: infinite although the text has digits, or 0 although it has a nonzero digit before
    /// its exponent. Returns null otherwise, also for typed "Infinity" and "NaN", which the
    /// options' validators reject by name.
    /// </summary>
    private static string? OutsideRange<T>(string text, T value)
        where T : struct, INumberBase<T>
    {
        string mantissa = text.Trim().Split('e', 'E')[0];
        bool hasDigits = mantissa.Any(char.IsAsciiDigit);
        string type = typeof(T) == typeof(float) ? "float" : "double";
        if (T.IsInfinity(value) && hasDigits)
        {
            string largest = typeof(T) == typeof(float) ? float.MaxValue.ToString(CultureInfo.InvariantCulture) : double.MaxValue.ToString(CultureInfo.InvariantCulture);
            return $"is beyond the {type} range (at most {largest} in magnitude)";
        }

        if (T.IsZero(value) && mantissa.Any(c => c is >= '1' and <= '9'))
        {
            string smallest = typeof(T) == typeof(float) ? float.Epsilon.ToString(CultureInfo.InvariantCulture) : double.Epsilon.ToString(CultureInfo.InvariantCulture);
            return $"rounds to 0 as a {type} (the smallest {type} above 0 is {smallest}); pass 0 or a larger value";
        }

        return null;
    }

    /// <summary>Returns the option's last token as a <typeparamref name="T"/>, or adds a parse error and returns 0.</summary>
    private static T Parse<T>(ArgumentResult result, string optionName)
        where T : struct, INumberBase<T>
    {
        bool whole = typeof(T) == typeof(int);
        string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
        NumberStyles styles = whole ? NumberStyles.Integer : NumberStyles.Float;
        if (T.TryParse(text, styles, CultureInfo.InvariantCulture, out T value))
        {
            if (!whole && OutsideRange(text, value) is string problem)
            {
                // Otherwise the validators would report the rounded 0 or infinity, which the user did not type.
                result.AddError($"{optionName} is {text.Trim()}, which {problem}.");
            }

            return value;
        }

        if (whole && BigInteger.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
        {
            result.AddError($"{optionName} is {text.Trim()}, which is out of range: it must be between {int.MinValue} and {int.MaxValue}.");
        }
        else
        {
            string kind = whole ? "a whole number, such as 10" : "a number, such as 0.001 or 1e-3";
            result.AddError($"{optionName} is '{text}', but it must be {kind}.");
        }

        return T.Zero;
    }
}
