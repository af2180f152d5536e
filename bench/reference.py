"""The classic reference recipe (pytorch/examples `dcgan`), shared by the speed and quality benchmarks.

PNG files decoded by PIL through a torchvision transform pipeline and a 2-worker DataLoader, fp32,
NCHW, Sigmoid + BCELoss, Adam 2e-4 / beta1 0.5, separate real and fake passes, a host sync
(loss.item()) every step, no EMA. It trains gan_demo's own G and D layers (plus D's Sigmoid), so
only the recipe differs from ours.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import torch
from torch import nn

from gan_demo.models.nets import ArchConfig, Discriminator, Generator


def write_pngs(images_uint8: torch.Tensor, folder: Path) -> None:
    """The reference recipe reads an image folder of RGB files: give it one PNG per training image."""
    from PIL import Image

    (folder / "all").mkdir(parents=True)
    for i, img in enumerate(images_uint8.permute(0, 2, 3, 1).numpy()):
        Image.fromarray(img).save(folder / "all" / f"{i:06d}.png")


def reference_steps(
    folder: Path, arch: ArchConfig, device: torch.device, batch: int = 64, seed: int = 0
) -> Iterator[tuple[Generator, float, float]]:
    """Run the recipe forever; yield (G, loss_D, loss_G) after each step. The caller decides when to stop."""
    import torchvision.datasets as dset
    import torchvision.transforms as T

    dataset = dset.ImageFolder(
        str(folder),
        transform=T.Compose(
            [T.Resize(arch.size), T.CenterCrop(arch.size), T.ToTensor(), T.Normalize((0.5,) * 3, (0.5,) * 3)]
        ),
    )
    if len(dataset) < batch:
        raise ValueError(f"{folder}: {len(dataset)} images are fewer than one batch of {batch}")
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=batch, shuffle=True, num_workers=2, drop_last=True, persistent_workers=True
    )
    torch.manual_seed(seed)
    torch.backends.cudnn.benchmark = True  # as the recipe sets it
    G = Generator(arch).to(device)
    D = nn.Sequential(Discriminator(arch), nn.Sigmoid()).to(device)
    criterion = nn.BCELoss()
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    while True:
        for real, _ in loader:
            real = real.to(device)
            n = real.shape[0]
            D.zero_grad()
            err_real = criterion(D(real), torch.full((n,), 1.0, device=device))
            err_real.backward()
            fake = G(torch.randn(n, arch.z_dim, 1, 1, device=device))
            err_fake = criterion(D(fake.detach()), torch.full((n,), 0.0, device=device))
            err_fake.backward()
            opt_d.step()
            G.zero_grad()
            err_g = criterion(D(fake), torch.full((n,), 1.0, device=device))
            err_g.backward()
            opt_g.step()
            yield G, (err_real + err_fake).item(), err_g.item()  # the recipe prints both every step
