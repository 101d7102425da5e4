// A user's console program on the packed FastRnn package (.ci/consume-package.sh builds it in a fresh project):
// it streams a signal through the shipped sine LSTM and checks every output against a double-precision LSTM written
// out here from PyTorch's equations (i, f, g, o gates; h = W_hr (o ⊙ tanh c)) over the same file's tensors.
using FastRnn;
using FastRnn.Format;

string path = args.Length > 0 ? args[0] : "weights/sine-lstm.frnn";

// The README's example: load once, one session per stream, one Step per sample.
RnnModel model = RnnModel.Load(path);
using RnnSession session = model.CreateSession(batchSize: 1);
float[] frame = new float[session.InputLength], hidden = new float[session.OutputLength];

using FrnnFile file = FrnnFile.Open(path);
var reference = new ReferenceLstm(file, model.Config);
const int Steps = 300;
double worst = 0;
for (int t = 0; t < Steps; t++)
{
    frame[0] = (float)(Math.Sin(0.07 * t) + 0.5 * Math.Sin(0.23 * t));
    session.Step(frame, hidden);
    double[] expected = reference.Step(frame);
    for (int k = 0; k < hidden.Length; k++)
        worst = Math.Max(worst, Math.Abs(hidden[k] - expected[k]));
}
const double Tolerance = 1e-4;
Console.WriteLine($"{Path.GetFileName(path)}: {Steps} steps, max |FastRnn - float64 reference| = {worst:E2} (tolerance {Tolerance:E0})");
return worst <= Tolerance ? 0 : 1;

/// <summary>A one-layer LSTM with an optional projection, in doubles, straight from PyTorch's definition.</summary>
sealed class ReferenceLstm
{
    private readonly float[] _wih, _whh, _bih, _bhh, _whr;
    private readonly int _input, _hidden, _out;
    private readonly double[] _h, _c;

    public ReferenceLstm(FrnnFile file, RnnConfig config)
    {
        if (config.Kind != RecurrentKind.Lstm || config.NumLayers != 1 || config.Bidirectional || !config.HasBias)
            throw new NotSupportedException("the reference covers a one-layer unidirectional LSTM with biases");
        (_input, _hidden) = (config.InputSize, config.HiddenSize);
        _out = config.ProjSize > 0 ? config.ProjSize : config.HiddenSize;
        _wih = file.GetFloat32("weight_ih_l0").ToArray();   // (4H, I)
        _whh = file.GetFloat32("weight_hh_l0").ToArray();   // (4H, H_out)
        _bih = file.GetFloat32("bias_ih_l0").ToArray();     // (4H)
        _bhh = file.GetFloat32("bias_hh_l0").ToArray();     // (4H)
        _whr = config.ProjSize > 0 ? file.GetFloat32("weight_hr_l0").ToArray() : [];  // (P, H)
        _h = new double[_out];
        _c = new double[_hidden];
    }

    public double[] Step(float[] x)
    {
        int H = _hidden;
        var gates = new double[4 * H];
        for (int r = 0; r < 4 * H; r++)
        {
            double s = (double)_bih[r] + _bhh[r];
            for (int i = 0; i < _input; i++)
                s += (double)_wih[r * _input + i] * x[i];
            for (int j = 0; j < _out; j++)
                s += (double)_whh[r * _out + j] * _h[j];
            gates[r] = s;
        }
        var o = new double[H];
        for (int k = 0; k < H; k++)
        {
            double i = Sigmoid(gates[k]), f = Sigmoid(gates[H + k]), g = Math.Tanh(gates[2 * H + k]);
            o[k] = Sigmoid(gates[3 * H + k]);
            _c[k] = f * _c[k] + i * g;
            o[k] *= Math.Tanh(_c[k]);
        }
        for (int p = 0; p < _out; p++)
        {
            if (_whr.Length == 0)
            {
                _h[p] = o[p];
                continue;
            }
            double s = 0;
            for (int k = 0; k < H; k++)
                s += (double)_whr[p * H + k] * o[k];
            _h[p] = s;
        }
        return (double[])_h.Clone();
    }

    private static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));
}
