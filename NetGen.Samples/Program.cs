System.Console.WriteLine("NetGen samples: under construction.");
