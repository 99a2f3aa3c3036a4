"""An LSTM that reads a digit row by row, in the style of pytorch/examples' mnist_rnn: the
last time step's output, batch norm, channel dropout, two linear layers, Adadelta with StepLR."""

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(input_size=28, hidden_size=32, batch_first=True)
        self.batchnorm = nn.BatchNorm1d(32)
        self.dropout1 = nn.Dropout2d(0.25)
        self.dropout2 = nn.Dropout2d(0.5)
        self.fc1 = nn.Linear(32, 16)
        self.fc2 = nn.Linear(16, 10)

    def forward(self, input):
        input = input.reshape(-1, 28, 28)  # (batch, time = rows, features = columns)
        output, hidden = self.rnn(input)
        output = output[:, -1, :]
        output = self.batchnorm(output)
        output = self.dropout1(output)
        output = self.fc1(output)
        output = F.relu(output)
        output = self.dropout2(output)
        output = self.fc2(output)
        return F.log_softmax(output, dim=1)


def main(images, labels, epochs=3, batch_size=32, train_size=256, seed=3):
    torch.manual_seed(seed)
    x = (torch.from_numpy(images).float() / 255 - 0.1307) / 0.3081
    y = torch.from_numpy(labels).long()
    train_loader = DataLoader(
        TensorDataset(x[:train_size], y[:train_size]), batch_size=batch_size, shuffle=True
    )
    test_loader = DataLoader(TensorDataset(x[train_size:], y[train_size:]), batch_size=64)
    model = Net()
    optimizer = optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
    losses = []
    for _ in range(epochs):
        model.train()
        for data, target in train_loader:
            optimizer.zero_grad()
            output = model(data)
            loss = F.nll_loss(output, target)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        scheduler.step()
    model.eval()
    test_loss, correct = 0, 0
    with torch.no_grad():
        for data, target in test_loader:
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    return {
        "losses": losses,
        "test_loss": test_loss / len(test_loader.dataset),
        "correct": correct,
    }
