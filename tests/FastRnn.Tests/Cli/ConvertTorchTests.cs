using FastRnn.Import;
using Fixtures = FastRnn.Tests.Support.Fixtures;

namespace FastRnn.Tests.Cli;

/// <summary><c>fastrnn convert m.pt</c>: a PyTorch checkpoint converts by prefix; a hostile pickle is one error line.</summary>
public sealed class ConvertTorchTests
{
    private static string Torch(string file) => Path.Combine(Fixtures.Directory("import-torch"), file);

    [Fact]
    public void Convert_CheckpointWithPrefix_WritesTheSameModelAsItsSafetensorsTwin()
    {
        using var dir = new TempDirectory();
        CliHarness.Run("convert", Torch("checkpoint.pt"), "--prefix", "dec", "-o", dir.File("dec.frnn")).Succeeded();
        CliHarness.Run("convert", Path.Combine(Fixtures.Directory("import"), "pt_grucell.safetensors"), "-o", dir.File("twin.frnn")).Succeeded();
        Assert.Equal(File.ReadAllBytes(dir.File("twin.frnn")), File.ReadAllBytes(dir.File("dec.frnn")));
    }

    [Fact]
    public void Convert_PickleNamingOsSystem_FailsWithOneLineNamingIt()
    {
        using var dir = new TempDirectory();
        CliHarness.Run("convert", Torch("hostile/os_system.pt"), "-o", dir.File("m.frnn")).Failed(2, "'posix.system', which is refused");
        Assert.False(File.Exists(dir.File("m.frnn")));
    }
}
