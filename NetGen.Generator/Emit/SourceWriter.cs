using System.Globalization;
using System.Text;

namespace NetGen.Generator.Emit
{
    /// <summary>Builds C# text line by line with four-space indentation and invariant-culture numbers.</summary>
    internal sealed class SourceWriter
    {
        private readonly StringBuilder _text = new StringBuilder();
        private int _depth;

        public void Line(string line = "")
        {
            if (line.Length > 0)
            {
                _text.Append(' ', _depth * 4);
                _text.Append(line);
            }

            _text.Append('\n');
        }

        public void Open(string header)
        {
            Line(header);
            Line("{");
            _depth++;
        }

        public void Close(string suffix = "")
        {
            _depth--;
            Line("}" + suffix);
        }

        public override string ToString() => _text.ToString();

        /// <summary>Writes an integer with digits only, so generated source reads the same in every culture.</summary>
        public static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

        /// <summary>Writes a float literal that round-trips exactly, with the f suffix.</summary>
        public static string Float(float value)
        {
            string text = value.ToString("R", CultureInfo.InvariantCulture);
            if (text.IndexOf('.') < 0 && text.IndexOf('E') < 0)
            {
                text += ".0";
            }

            return text + "f";
        }

        /// <summary>Formats a count with thousands separators for comments and docs.</summary>
        public static string Grouped(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
    }
}
