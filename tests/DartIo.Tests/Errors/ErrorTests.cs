namespace DartIo.Tests.Errors;

public class ErrorTests
{
    [Fact]
    public void OSError_ToString_ReadsLikeDart()
    {
        Assert.Equal("OS Error: Address already in use, errno = 98", new OSError("Address already in use", 98).ToString());
        Assert.Equal("OS Error: text", new OSError("text").ToString());
        Assert.Equal("OS Error: errno = 4", new OSError(errorCode: 4).ToString());
        Assert.Equal(-1, OSError.NoErrorCode);
        Assert.Equal(OSError.NoErrorCode, new OSError().ErrorCode);
        Assert.Equal(string.Empty, new OSError().Message);
    }

    [Fact]
    public void NetworkException_Message_NamesTheOsErrorTheAddressAndThePort()
    {
        var error = new NetworkException("Failed to create server socket", new OSError("Address already in use", 98),
            new InternetAddress("127.0.0.1"), 8080);

        Assert.Equal("Failed to create server socket (OS Error: Address already in use, errno = 98), address = 127.0.0.1, port = 8080", error.Message);
        Assert.Equal("Failed to create server socket", error.Reason);
        Assert.Equal(98, error.OSError!.ErrorCode);
        Assert.Equal(8080, error.Port);
        Assert.IsAssignableFrom<IOException>(error);
    }

    [Fact]
    public void NetworkException_Bare_IsJustTheMessage()
    {
        var error = new NetworkException("m");

        Assert.Equal("m", error.Message);
        Assert.Null(error.OSError);
        Assert.Null(error.Address);
        Assert.Null(error.Port);
    }

    [Fact]
    public void TlsExceptions_FormAHierarchyUnderIOException()
    {
        TlsException handshake = new HandshakeException("bad", new OSError("alert", 40));
        TlsException certificate = new CertificateException("missing");

        Assert.Equal("bad (OS Error: alert, errno = 40)", handshake.Message);
        Assert.Equal(40, handshake.OSError!.ErrorCode);
        Assert.Equal("missing", certificate.Message);
        Assert.IsAssignableFrom<IOException>(certificate);
    }

    [Fact]
    public void HttpException_NamesTheUri()
    {
        var error = new HttpException("Connection closed", new Uri("http://localhost/x"));

        Assert.Equal("Connection closed, uri = http://localhost/x", error.Message);
        Assert.Equal(new Uri("http://localhost/x"), error.Uri);
    }
}
