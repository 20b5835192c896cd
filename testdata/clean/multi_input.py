"""A two-tower image/text model, written the way open_clip / HuggingFace CLIPModel write it: the
forward takes optional keyword inputs (attention mask, position ids, labels, flags for the return
format), each of which is defaulted or only changes how the outputs are packaged, so every
parameter is used on every path."""
from typing import Dict, Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F


class TextEncoder(nn.Module):
    def __init__(self, vocab_size: int = 49408, width: int = 256, context_length: int = 77, layers: int = 4,
                 heads: int = 8, embed_dim: int = 128):
        super().__init__()
        self.token_embedding = nn.Embedding(vocab_size, width)
        self.positional_embedding = nn.Parameter(torch.empty(context_length, width).normal_(std=0.01))
        encoder_layer = nn.TransformerEncoderLayer(width, heads, dim_feedforward=4 * width, batch_first=True,
                                                   norm_first=True)
        self.transformer = nn.TransformerEncoder(encoder_layer, num_layers=layers)
        self.ln_final = nn.LayerNorm(width)
        self.text_projection = nn.Parameter(torch.empty(width, embed_dim).normal_(std=width ** -0.5))

    def forward(self, input_ids: torch.Tensor, attention_mask: Optional[torch.Tensor] = None,
                position_ids: Optional[torch.Tensor] = None) -> torch.Tensor:
        seq_len = input_ids.shape[1]
        if position_ids is None:
            position_ids = torch.arange(seq_len, device=input_ids.device).unsqueeze(0)
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)

        x = self.token_embedding(input_ids) + self.positional_embedding[position_ids]
        x = self.transformer(x, src_key_padding_mask=attention_mask == 0)
        x = self.ln_final(x)
        # take features from the last non-padding token of each sequence
        last = attention_mask.sum(dim=1) - 1
        x = x[torch.arange(x.shape[0], device=x.device), last]
        return x @ self.text_projection


class ImageEncoder(nn.Module):
    def __init__(self, width: int = 64, embed_dim: int = 128):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, width, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True),
            nn.Conv2d(width, 2 * width, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(2 * width),
            nn.ReLU(inplace=True),
        )
        self.attnpool_query = nn.Parameter(torch.zeros(1, 1, 2 * width))
        self.attnpool = nn.MultiheadAttention(2 * width, 4, batch_first=True)
        self.proj = nn.Linear(2 * width, embed_dim)

    def forward(self, pixel_values: torch.Tensor, normalize_input: bool = False) -> torch.Tensor:
        if normalize_input:
            pixel_values = (pixel_values - pixel_values.mean(dim=(2, 3), keepdim=True)) / (
                pixel_values.std(dim=(2, 3), keepdim=True) + 1e-6)
        x = self.stem(pixel_values).flatten(2).transpose(1, 2)  # B, HW, C
        q = self.attnpool_query.expand(x.shape[0], -1, -1)
        pooled = self.attnpool(q, x, x, need_weights=False)[0].squeeze(1)
        return self.proj(pooled)


def clip_loss(logits_per_image: torch.Tensor, labels: Optional[torch.Tensor] = None) -> torch.Tensor:
    if labels is None:
        labels = torch.arange(logits_per_image.shape[0], device=logits_per_image.device)
    return (F.cross_entropy(logits_per_image, labels) + F.cross_entropy(logits_per_image.t(), labels)) / 2


class CLIP(nn.Module):
    def __init__(self, embed_dim: int = 128, init_logit_scale: float = 2.6592):
        super().__init__()
        self.visual = ImageEncoder(embed_dim=embed_dim)
        self.text = TextEncoder(embed_dim=embed_dim)
        self.logit_scale = nn.Parameter(torch.ones([]) * init_logit_scale)

    def forward(self, pixel_values: torch.Tensor, input_ids: torch.Tensor,
                attention_mask: Optional[torch.Tensor] = None, position_ids: Optional[torch.Tensor] = None,
                labels: Optional[torch.Tensor] = None, return_loss: Optional[bool] = None,
                return_dict: bool = True, normalize_input: bool = False
                ) -> Union[Dict[str, torch.Tensor], Tuple[torch.Tensor, ...]]:
        image_embeds = self.visual(pixel_values, normalize_input=normalize_input)
        text_embeds = self.text(input_ids, attention_mask=attention_mask, position_ids=position_ids)

        # normalized features
        image_embeds = image_embeds / image_embeds.norm(p=2, dim=-1, keepdim=True)
        text_embeds = text_embeds / text_embeds.norm(p=2, dim=-1, keepdim=True)

        # cosine similarity as logits
        logit_scale = self.logit_scale.exp()
        logits_per_image = logit_scale * image_embeds @ text_embeds.t()
        logits_per_text = logits_per_image.t()

        loss = None
        if return_loss or labels is not None:
            loss = clip_loss(logits_per_image, labels)

        if not return_dict:
            output = (logits_per_image, logits_per_text, text_embeds, image_embeds)
            return ((loss,) + output) if loss is not None else output
        return {
            "loss": loss,
            "logits_per_image": logits_per_image,
            "logits_per_text": logits_per_text,
            "text_embeds": text_embeds,
            "image_embeds": image_embeds,
        }
