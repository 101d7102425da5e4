using System.Collections;
using System.Globalization;

namespace FastRnn.Import;

/// <summary>
/// The tensors of the object a .pt file holds, under dotted names: a state dict's own names, and for a checkpoint
/// that nests state dicts (<c>{"enc": encoder.state_dict(), "epoch": 3}</c>) the path of keys joined by dots
/// (<c>enc.weight_ih_l0</c>), so a prefix selects one of them. Values that are not tensors are skipped.
/// </summary>
internal static class TorchStateDict
{
    /// <summary>Deeper than any checkpoint nests; bounds the walk of a hostile pickle.</summary>
    private const int MaxDepth = 64;

    /// <summary>Containers and values visited at most: shared references could otherwise make the walk exponential.</summary>
    private const int MaxVisits = 1_000_000;

    public static List<KeyValuePair<string, TorchTensor>> Flatten(object? root, string file, string part)
    {
        if (root is TorchTensor)
            throw TorchErrors.Malformed(file, part, "holds a single tensor, not a state dict; save a dict of named tensors (module.state_dict())");
        if (root is not Hashtable)
            throw TorchErrors.Malformed(file, part, $"holds {Describe(root)}, not a state dict (a dict of named tensors)");
        var result = new List<KeyValuePair<string, TorchTensor>>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var path = new HashSet<object>(ReferenceEqualityComparer.Instance);
        int visits = 0;
        Walk(root, "", 0);
        return result;

        void Walk(object? value, string name, int depth)
        {
            if (++visits > MaxVisits)
                throw TorchErrors.Malformed(file, part, $"has more than {MaxVisits} values to visit; not a state dict");
            switch (value)
            {
                case TorchTensor tensor:
                    if (!names.Add(name))
                        throw ImportErrors.DuplicateTensor(file, name);
                    result.Add(new(name, tensor));
                    return;
                case Hashtable or IList when depth == MaxDepth:
                    throw TorchErrors.Malformed(file, part, $"nests containers deeper than {MaxDepth} levels at '{name}'");
                case Hashtable or IList when !path.Add(value):
                    throw TorchErrors.Malformed(file, part, $"contains itself at '{name}'");
                case Hashtable dict:
                    foreach (object key in Keys(dict))
                    {
                        if (Key(key) is { } k)
                            Walk(dict[key], name.Length == 0 ? k : $"{name}.{k}", depth + 1);
                    }
                    path.Remove(value);
                    return;
                case IList list:
                    for (int i = 0; i < list.Count; i++)
                        Walk(list[i], name.Length == 0 ? $"{i}" : $"{name}.{i}", depth + 1);
                    path.Remove(value);
                    return;
            }
        }
    }

    /// <summary>An OrderedDict's keys in insertion order; a plain dict's (whose order the unpickler does not keep) sorted.</summary>
    private static IEnumerable<object> Keys(Hashtable dict)
        => dict is PickledOrderedDict ordered ? ordered.OrderedKeys : dict.Keys.Cast<object>().OrderBy(k => Key(k), StringComparer.Ordinal);

    /// <summary>String and integer keys name a path; others (tuples, None) cannot hold a state dict's tensors.</summary>
    private static string? Key(object key) => key switch
    {
        string s => s,
        int or long => System.Convert.ToString(key, CultureInfo.InvariantCulture),
        _ => null,
    };

    private static string Describe(object? value) => value switch
    {
        null => "None",
        string => "a string",
        IList => "a list",
        int or long => "a number",
        _ => $"a {value.GetType().Name}",
    };
}
