using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;

namespace NetGen.Samples.Aot;

/// <summary>Time elapsed since the process started, and how it was measured.</summary>
/// <param name="Milliseconds">Elapsed time in milliseconds.</param>
/// <param name="Method">Clock and source of the start time, as printed in the report.</param>
/// <param name="ResolutionMilliseconds">Granularity of the start time that the method reads.</param>
internal readonly record struct StartupTime(double Milliseconds, string Method, double ResolutionMilliseconds);

/// <summary>Measures the time from the start of this process to now.</summary>
/// <remarks>
/// Two sources, the first that is available wins:
/// <list type="number">
/// <item>The environment variable <see cref="LaunchTimeVariable"/>, which the launcher sets to its
/// Unix time right before it executes the program (bash: <c>NETGEN_AOT_LAUNCH_TIME=$EPOCHREALTIME exec …</c>).
/// It covers exec, loading and runtime start-up, with microsecond resolution.</item>
/// <item>The kernel's record of the start: field 22 of <c>/proc/self/stat</c> (clock ticks since
/// boot) against <c>/proc/uptime</c> (seconds since boot). Both count 10 ms steps, so the result
/// is within about ±10 ms.</item>
/// </list>
/// Where neither exists (not Linux), <see cref="Process.StartTime"/> is used.
/// </remarks>
internal static class StartupClock
{
    /// <summary>Environment variable with the launch time as Unix seconds, for example <c>1767225600.123456</c>.</summary>
    public const string LaunchTimeVariable = "NETGEN_AOT_LAUNCH_TIME";

    // A launch time older than this is taken as left over from another launch.
    private const double MaxPlausibleStartupSeconds = 60;

    // /proc reports start times in USER_HZ ticks, which the Linux ABI fixes at 100 per second
    // (sysconf(_SC_CLK_TCK) on x86-64 and arm64).
    private const double ClockTicksPerSecond = 100;

    // Field 22 of /proc/self/stat is the start time. Splitting starts after the ')' that closes
    // field 2, the command name, which may contain spaces, so index 0 is field 3.
    private const int StartTimeIndexAfterCommand = 22 - 3;

    /// <summary>Returns the time from the start of the process to this call.</summary>
    /// <exception cref="InvalidOperationException">
    /// <see cref="LaunchTimeVariable"/> is set but is not a number, lies in the future, or lies more
    /// than a minute in the past.
    /// </exception>
    public static StartupTime SinceProcessStart()
    {
        // Read the clocks first, so that parsing and file access do not count as start-up time.
        DateTime now = DateTime.UtcNow;
        string? uptimeText = File.Exists("/proc/uptime") ? File.ReadAllText("/proc/uptime") : null;

        string? launchTime = Environment.GetEnvironmentVariable(LaunchTimeVariable);
        if (!string.IsNullOrEmpty(launchTime))
        {
            return FromLaunchTime(launchTime, now);
        }

        if (uptimeText is not null && File.Exists("/proc/self/stat"))
        {
            return FromProcStat(uptimeText, File.ReadAllText("/proc/self/stat"));
        }

        using Process process = Process.GetCurrentProcess();
        double milliseconds = (now - process.StartTime.ToUniversalTime()).TotalMilliseconds;
        return new StartupTime(milliseconds, "Process.StartTime", ResolutionMilliseconds: double.NaN);
    }

    private static StartupTime FromLaunchTime(string launchTime, DateTime now)
    {
        if (!double.TryParse(launchTime, NumberStyles.Float, CultureInfo.InvariantCulture, out double launchSeconds))
        {
            throw new InvalidOperationException(
                $"{LaunchTimeVariable} is '{launchTime}', which is not a Unix time in seconds such as 1767225600.123456; " +
                $"set it with LC_ALL=C so that $EPOCHREALTIME uses a decimal point, or unset it.");
        }

        double nowSeconds = (now - DateTime.UnixEpoch).TotalSeconds;
        double elapsedSeconds = nowSeconds - launchSeconds;
        if (elapsedSeconds < 0 || elapsedSeconds > MaxPlausibleStartupSeconds)
        {
            throw new InvalidOperationException(
                $"{LaunchTimeVariable} is {launchTime}, {elapsedSeconds:F3} s before now, but a launch lies between 0 and {MaxPlausibleStartupSeconds} s in the past; " +
                "set it right before starting the program, or unset it.");
        }

        return new StartupTime(elapsedSeconds * 1000, $"launcher clock ({LaunchTimeVariable})", ResolutionMilliseconds: 0.001);
    }

    private static StartupTime FromProcStat(string uptimeText, string statText)
    {
        // /proc/uptime: "<seconds since boot> <idle seconds>", with two decimals.
        double uptimeSeconds = double.Parse(uptimeText.AsSpan(0, uptimeText.IndexOf(' ')), CultureInfo.InvariantCulture);

        string afterCommand = statText.Substring(statText.LastIndexOf(')') + 1);
        string[] fields = afterCommand.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long startTicks = long.Parse(fields[StartTimeIndexAfterCommand], CultureInfo.InvariantCulture);

        double elapsedSeconds = uptimeSeconds - (startTicks / ClockTicksPerSecond);
        return new StartupTime(elapsedSeconds * 1000, "kernel clock (/proc/self/stat start time against /proc/uptime)", ResolutionMilliseconds: 1000 / ClockTicksPerSecond);
    }
}
