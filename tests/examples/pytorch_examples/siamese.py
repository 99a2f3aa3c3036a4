"""A siamese network in the style of pytorch/examples' siamese_network, small: one shared
embedding of two digits; a head on their concatenation says "same digit" through a sigmoid
and BCELoss, and a contrastive loss on their distance pulls same digits together."""

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


class SiameseNetwork(nn.Module):
    def __init__(self, embedding=16):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 4, 5, stride=2),  # 12 x 12
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),  # 6 x 6
            nn.Flatten(),
            nn.Linear(4 * 6 * 6, embedding),
        )
        self.fc = nn.Sequential(
            nn.Linear(embedding * 2, 16),
            nn.ReLU(inplace=True),
            nn.Linear(16, 1),
        )
        self.sigmoid = nn.Sigmoid()
        self.cosine = nn.CosineSimilarity(dim=1, eps=1e-6)

    def forward_once(self, x):
        return self.features(x)

    def forward(self, input1, input2):
        output1 = self.forward_once(input1)
        output2 = self.forward_once(input2)
        output = torch.cat((output1, output2), 1)
        return self.sigmoid(self.fc(output)), output1, output2


def contrastive_loss(output1, output2, same, margin=2.0):
    """Same pairs pay their squared distance, different ones the squared shortfall from margin."""
    distance = F.pairwise_distance(output1, output2, keepdim=True)
    pull = same * torch.pow(distance, 2)
    push = (1 - same) * torch.pow(torch.clamp(margin - distance, min=0.0), 2)
    return torch.mean(pull + push)


def make_pairs(images, labels, count):
    """count pairs: even ones of one digit twice, odd ones of two different digits; target 1
    means the same digit."""
    first = torch.randint(0, len(labels), (count,))
    second = torch.empty(count, dtype=torch.long)
    for i in range(count):
        if i % 2 == 0:
            candidates = torch.where(labels == labels[first[i]])[0]
        else:
            candidates = (labels != labels[first[i]]).nonzero().view(-1)
        second[i] = candidates[torch.randint(0, candidates.numel(), (1,))]
    same = (labels[first] == labels[second]).float().view(-1, 1)
    return images[first], images[second], same


def main(images, labels, steps=40, batch_size=32, seed=4):
    torch.manual_seed(seed)
    x = torch.from_numpy(images).float().div(255).unsqueeze(1)
    y = torch.from_numpy(labels).long()
    model = SiameseNetwork()
    optimizer = optim.Adadelta(model.parameters(), lr=1.0)
    criterion = nn.BCELoss()
    history = []
    for _ in range(steps):
        images1, images2, targets = make_pairs(x, y, batch_size)
        optimizer.zero_grad()
        outputs, output1, output2 = model(images1, images2)
        loss = criterion(outputs, targets) + 0.1 * contrastive_loss(output1, output2, targets)
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            similarity = model.cosine(output1, output2).mean()
            pred = torch.where(outputs > 0.5, 1, 0)
            correct = pred.eq(targets.view_as(pred)).sum().item()
        history.append((loss.item(), similarity.item(), targets.sum().item(), correct))
    return {"history": history}
