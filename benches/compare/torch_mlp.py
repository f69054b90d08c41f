"""PyTorch's training step for W1-W3 (workloads.py), written as a PyTorch user would: Linear
layers (weights loaded as Wᵀ, PyTorch's layout), CrossEntropyLoss/MSELoss, torch.optim,
zero_grad/backward/step. One thread unless --threads says otherwise. Prints one line per
workload: name, first loss, µs/step."""
import argparse
import json

import torch

import workloads


def make(w):
    layers = []
    for i, (weight, bias) in enumerate(workloads.init(w["sizes"])):
        linear = torch.nn.Linear(weight.shape[0], weight.shape[1])
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(weight.T.copy()))
            linear.bias.copy_(torch.from_numpy(bias))
        layers.append(linear)
        if i + 2 < len(w["sizes"]):
            layers.append(torch.nn.ReLU() if w["act"] == "relu" else torch.nn.Tanh())
    model = torch.nn.Sequential(*layers)
    x, labels, y = (torch.from_numpy(a) for a in workloads.data(w))
    loss_fn = torch.nn.CrossEntropyLoss() if w["loss"] == "ce" else torch.nn.MSELoss()
    target = labels if w["loss"] == "ce" else y
    if w["opt"] == "sgd":
        optimizer = torch.optim.SGD(model.parameters(), lr=w["lr"])
    else:
        optimizer = torch.optim.Adam(model.parameters(), lr=w["lr"], betas=(0.9, 0.999), eps=1e-8)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), target)
        loss.backward()
        optimizer.step()
        return loss

    return step


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--secs", type=float, default=2.0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    for key, w in workloads.WORKLOADS.items():
        step = make(w)
        first = float(step())
        us = workloads.time_steps(step, lambda: None, args.secs)
        print(json.dumps(dict(framework=f"PyTorch {torch.__version__}", workload=w["name"], first_loss=first,
                              us_per_step=us)))


if __name__ == "__main__":
    main()
