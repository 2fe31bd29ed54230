System.Console.WriteLine("NetGen NativeAOT sample: under construction.");
