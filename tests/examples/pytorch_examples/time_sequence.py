"""Sine waves predicted by two stacked LSTM cells, in the style of pytorch/examples'
time_sequence_prediction, small and trained with Adam through the same `optimizer.step(closure)`
the example gives LBFGS: float64 throughout (`.double()`), one step at a time over
`input.split(1, dim=1)`, then `future` steps fed on its own output."""

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim


def sine_waves(count=8, length=60, period=10):
    """count sine waves of `length` samples, each shifted by a random phase."""
    np.random.seed(2)
    x = np.empty((count, length), "int64")
    x[:] = np.array(range(length)) + np.random.randint(-4 * period, 4 * period, count).reshape(
        count, 1
    )
    return np.sin(x / 1.0 / period).astype("float64")


class Sequence(nn.Module):
    def __init__(self, hidden=12):
        super().__init__()
        self.hidden = hidden
        self.lstm1 = nn.LSTMCell(1, hidden)
        self.lstm2 = nn.LSTMCell(hidden, hidden)
        self.linear = nn.Linear(hidden, 1)

    def forward(self, input, future=0):
        outputs = []
        h_t = torch.zeros(input.size(0), self.hidden, dtype=torch.double)
        c_t = torch.zeros(input.size(0), self.hidden, dtype=torch.double)
        h_t2 = torch.zeros(input.size(0), self.hidden, dtype=torch.double)
        c_t2 = torch.zeros(input.size(0), self.hidden, dtype=torch.double)
        for input_t in input.split(1, dim=1):
            h_t, c_t = self.lstm1(input_t, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        for _ in range(future):  # predict the future from its own guesses
            h_t, c_t = self.lstm1(output, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        return torch.cat(outputs, dim=1)


def main(steps=5, future=20, seed=0):
    data = sine_waves()
    np.random.seed(0)
    torch.manual_seed(seed)
    input = torch.from_numpy(data[3:, :-1])
    target = torch.from_numpy(data[3:, 1:])
    test_input = torch.from_numpy(data[:3, :-1])
    test_target = torch.from_numpy(data[:3, 1:])
    seq = Sequence()
    seq.double()
    criterion = nn.MSELoss()
    optimizer = optim.Adam(seq.parameters(), lr=0.05)
    losses, test_losses = [], []
    for _ in range(steps):

        def closure():
            optimizer.zero_grad()
            out = seq(input)
            loss = criterion(out, target)
            losses.append(loss.item())
            loss.backward()
            return loss

        optimizer.step(closure)
        with torch.no_grad():
            pred = seq(test_input, future=future)
            test_losses.append(criterion(pred[:, :-future], test_target).item())
            y = pred.detach().numpy()
    return {"losses": losses, "test_losses": test_losses, "prediction": y.copy()}
