"""A variational autoencoder in the style of pytorch/examples' vae, small: encoder to a mean
and a log-variance, a sample by reparameterisation, a decoder to pixel probabilities, and the
summed binary cross-entropy plus the KL term as the loss."""

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset


class VAE(nn.Module):
    def __init__(self, hidden=64, latent=8):
        super().__init__()
        self.fc1 = nn.Linear(784, hidden)
        self.fc21 = nn.Linear(hidden, latent)
        self.fc22 = nn.Linear(hidden, latent)
        self.fc3 = nn.Linear(latent, hidden)
        self.fc4 = nn.Linear(hidden, 784)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 784))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


def loss_function(recon_x, x, mu, logvar):
    bce = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


def main(images, epochs=2, batch_size=32, train_size=192, seed=1):
    """images: uint8 digits (n, 28, 28); the first train_size train, the rest test."""
    torch.manual_seed(seed)
    pixels = torch.from_numpy(images).float().div(255).unsqueeze(1)
    train_loader = DataLoader(
        TensorDataset(pixels[:train_size]), batch_size=batch_size, shuffle=True
    )
    test_loader = DataLoader(TensorDataset(pixels[train_size:]), batch_size=batch_size)
    model = VAE()
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    train_losses = []
    for _ in range(epochs):
        model.train()
        train_loss = 0
        for (data,) in train_loader:
            optimizer.zero_grad()
            recon_batch, mu, logvar = model(data)
            loss = loss_function(recon_batch, data, mu, logvar)
            loss.backward()
            train_loss += loss.item()
            optimizer.step()
        train_losses.append(train_loss / len(train_loader.dataset))
    model.eval()
    test_loss = 0
    with torch.no_grad():
        for i, (data,) in enumerate(test_loader):
            recon_batch, mu, logvar = model(data)
            test_loss += loss_function(recon_batch, data, mu, logvar).item()
            if i == 0:
                n = min(data.size(0), 8)
                comparison = torch.cat([data[:n], recon_batch.view(-1, 1, 28, 28)[:n]])
        sample = model.decode(torch.randn(16, 8)).cpu()
    return {
        "train_losses": train_losses,
        "test_loss": test_loss / len(test_loader.dataset),
        "comparison": comparison.numpy().copy(),
        "sample": sample.view(16, 1, 28, 28).numpy().copy(),
    }
