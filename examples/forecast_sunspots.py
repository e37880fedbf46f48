"""Time-series forecasting: yearly sunspot numbers with an LSTM, vs. a naive baseline.

The series is statsmodels' ``sunspots`` data set (yearly mean sunspot activity,
1700-2008; it ships inside statsmodels, nothing is downloaded). A window of the
last ``--window`` years goes through ``tfshare.RNN(tfshare.LSTMCell(n))``
and a linear layer predicts the next year. The last ``--test-years`` years are
held out; the model's one-step-ahead forecasts are scored against the naive
forecast "next year = this year" (RMSE, MAE) and plotted with the actual series
to a PNG (``--out``).

    python examples/forecast_sunspots.py --epochs 60 --out sunspots_forecast.png
"""
import _common  # noqa: F401  (quiet TF logs, offline data)

import keras
import numpy as np

import tfshare


def load_series():
    import statsmodels.api as sm

    data = sm.datasets.sunspots.load_pandas().data
    return data["YEAR"].to_numpy(dtype=int), data["SUNACTIVITY"].to_numpy(dtype=np.float32)


def windows(series: np.ndarray, window: int):
    x = np.stack([series[i:i + window] for i in range(len(series) - window)])
    return x[..., None], series[window:]


def main(argv=None):
    args = _common.parser(__doc__, epochs=60, window=20, test_years=50, num_units=32,
                          batch_size=16, learning_rate=0.005, verbose=2,
                          out="sunspots_forecast.png").parse_args(argv)
    _common.seed_everything(args.seed)
    years, series = load_series()
    split = len(series) - args.test_years
    mean, std = series[:split].mean(), series[:split].std()
    z = (series - mean) / std

    x, y = windows(z, args.window)          # y[i] is the year index window + i
    target_years = years[args.window:]
    is_test = target_years >= years[split]
    x_train, y_train, x_test, y_test = x[~is_test], y[~is_test], x[is_test], y[is_test]
    print(f"sunspots {years[0]}-{years[-1]}: {len(x_train)} training windows, "
          f"{len(x_test)} test years ({target_years[is_test][0]}-{target_years[is_test][-1]})")

    inputs = keras.Input((args.window, 1), name="history")
    h = tfshare.RNN(tfshare.LSTMCell(args.num_units), name="rnn")(inputs)
    outputs = keras.layers.Dense(1, name="next_year")(h)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(args.learning_rate), loss="mse")
    model.fit(x_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
              validation_split=0.1, verbose=args.verbose)

    pred = model.predict(x_test, verbose=0)[:, 0] * std + mean
    actual = y_test * std + mean
    naive = x_test[:, -1, 0] * std + mean    # persistence: next year = this year

    def rmse(a, b):
        return float(np.sqrt(np.mean((a - b) ** 2)))

    def mae(a, b):
        return float(np.mean(np.abs(a - b)))

    print(f"LSTM  test RMSE: {rmse(pred, actual):7.2f}   MAE: {mae(pred, actual):7.2f}")
    print(f"naive test RMSE: {rmse(naive, actual):7.2f}   MAE: {mae(naive, actual):7.2f}")
    ratio = rmse(pred, actual) / rmse(naive, actual)
    print(f"RMSE ratio LSTM/naive: {ratio:.3f} ({'better' if ratio < 1 else 'worse'} than naive)")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    test_years = target_years[is_test]
    fig, ax = plt.subplots(figsize=(9, 4))
    start = max(0, split - 100)
    ax.plot(years[start:split + 1], series[start:split + 1], color="0.6", lw=1, label="history")
    ax.plot(test_years, actual, color="black", lw=1.5, label="actual")
    ax.plot(test_years, pred, color="tab:red", lw=1.5, label=f"LSTM (RMSE {rmse(pred, actual):.1f})")
    ax.plot(test_years, naive, color="tab:blue", lw=1, ls="--", label=f"naive (RMSE {rmse(naive, actual):.1f})")
    ax.set_xlabel("year")
    ax.set_ylabel("sunspot activity")
    ax.set_title("One-step-ahead forecast of yearly sunspots")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out, dpi=100)
    plt.close(fig)
    print(f"plot written to {args.out}")
    return ratio


if __name__ == "__main__":
    main()
