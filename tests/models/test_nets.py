import pytest
import torch

from gan_demo.models.nets import ArchConfig, Classifier, CodeDiscriminator, Discriminator, Encoder, Generator


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("size", [32, 64])
def test_shapes(channels, size):
    cfg = ArchConfig(channels=channels, size=size, width=8, z_dim=16, enc_width=8)
    z = torch.randn(5, 16)
    images = Generator(cfg)(z)
    assert images.shape == (5, channels, size, size)
    assert images.min() >= -1 and images.max() <= 1
    assert Discriminator(cfg)(images).shape == (5,)
    assert Encoder(cfg)(images).shape == (5, 16)
    assert Encoder(cfg, out_dim=32)(images).shape == (5, 32)
    clf = Classifier(cfg, n_classes=40)
    assert clf(images).shape == (5, 40) and clf.features(images).shape == (5, 8 * 2 ** (cfg.n_stages - 1))
    assert CodeDiscriminator(16)(z).shape == (5,)
    G = Generator(cfg).eval()
    detail = torch.zeros(5, *G.detail_shape())
    assert G.detail_shape() == (8 * 2 ** (cfg.n_stages - 1), 4, 4) and torch.equal(G(z, detail), G(z))
    assert not torch.allclose(G(z, detail + 0.5), G(z))


@pytest.mark.parametrize("kwargs", [{"size": 48}, {"channels": 2}, {"width": 2}, {"z_dim": 0}])
def test_bad_config(kwargs):
    with pytest.raises(ValueError):
        ArchConfig(**kwargs)
