"""wav2vec 2.0 for CTC fine-tuning, written the way fairseq's wav2vec2.py writes it: the conv
feature extractor picks its normalization from `mode` ("default": group norm in the first layer
only, "layer_norm": layer norm in every layer) when it builds the blocks, GradMultiply scales the
extractor's gradient, and `layer_norm_first` moves the layer norms before or after each sublayer
(both branches call the same modules), with the encoder's own norm at the start or the end."""
from typing import List, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F


class GradMultiply(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.scale = scale
        res = x.new(x)
        return res

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.scale, None


class Fp32GroupNorm(nn.GroupNorm):
    def forward(self, input):
        output = F.group_norm(input.float(), self.num_groups, self.weight.float() if self.weight is not None else None,
                              self.bias.float() if self.bias is not None else None, self.eps)
        return output.type_as(input)


class Fp32LayerNorm(nn.LayerNorm):
    def forward(self, input):
        output = F.layer_norm(input.float(), self.normalized_shape,
                              self.weight.float() if self.weight is not None else None,
                              self.bias.float() if self.bias is not None else None, self.eps)
        return output.type_as(input)


class TransposeLast(nn.Module):
    def __init__(self, deconstruct_idx=None):
        super().__init__()
        self.deconstruct_idx = deconstruct_idx

    def forward(self, x):
        if self.deconstruct_idx is not None:
            x = x[self.deconstruct_idx]
        return x.transpose(-2, -1)


class SamePad(nn.Module):
    def __init__(self, kernel_size, causal=False):
        super().__init__()
        self.remove = (kernel_size - 1) if causal else (1 if kernel_size % 2 == 0 else 0)

    def forward(self, x):
        if self.remove > 0:
            x = x[:, :, : -self.remove]
        return x


class ConvFeatureExtractionModel(nn.Module):
    def __init__(self, conv_layers: List[Tuple[int, int, int]], dropout: float = 0.0, mode: str = "default",
                 conv_bias: bool = False):
        super().__init__()
        assert mode in {"default", "layer_norm"}

        def block(n_in, n_out, k, stride, is_layer_norm=False, is_group_norm=False, conv_bias=False):
            def make_conv():
                conv = nn.Conv1d(n_in, n_out, k, stride=stride, bias=conv_bias)
                nn.init.kaiming_normal_(conv.weight)
                return conv
            assert (is_layer_norm and is_group_norm) == False, "layer norm and group norm are exclusive"

            if is_layer_norm:
                return nn.Sequential(make_conv(), nn.Dropout(p=dropout), nn.Sequential(
                    TransposeLast(), Fp32LayerNorm(n_out, elementwise_affine=True), TransposeLast()), nn.GELU())
            elif is_group_norm:
                return nn.Sequential(make_conv(), nn.Dropout(p=dropout), Fp32GroupNorm(n_out, n_out, affine=True), nn.GELU())
            else:
                return nn.Sequential(make_conv(), nn.Dropout(p=dropout), nn.GELU())

        in_d = 1
        self.conv_layers = nn.ModuleList()
        for i, (dim, k, stride) in enumerate(conv_layers):
            self.conv_layers.append(block(in_d, dim, k, stride, is_layer_norm=mode == "layer_norm",
                                          is_group_norm=mode == "default" and i == 0, conv_bias=conv_bias))
            in_d = dim

    def forward(self, x):
        x = x.unsqueeze(1)  # BxT -> BxCxT
        for conv in self.conv_layers:
            x = conv(x)
        return x


class TransformerSentenceEncoderLayer(nn.Module):
    def __init__(self, embedding_dim=768, ffn_embedding_dim=3072, num_attention_heads=8, dropout=0.1,
                 attention_dropout=0.1, activation_dropout=0.1, layer_norm_first=False):
        super().__init__()
        self.dropout = dropout
        self.activation_dropout = activation_dropout
        self.self_attn = nn.MultiheadAttention(embedding_dim, num_attention_heads, dropout=attention_dropout)
        self.self_attn_layer_norm = nn.LayerNorm(embedding_dim)
        self.fc1 = nn.Linear(embedding_dim, ffn_embedding_dim)
        self.fc2 = nn.Linear(ffn_embedding_dim, embedding_dim)
        self.final_layer_norm = nn.LayerNorm(embedding_dim)
        self.layer_norm_first = layer_norm_first

    def forward(self, x, self_attn_padding_mask=None):
        residual = x
        if self.layer_norm_first:
            x = self.self_attn_layer_norm(x)
            x, attn = self.self_attn(x, x, x, key_padding_mask=self_attn_padding_mask, need_weights=False)
            x = F.dropout(x, p=self.dropout, training=self.training)
            x = residual + x
            residual = x
            x = self.final_layer_norm(x)
            x = F.gelu(self.fc1(x))
            x = F.dropout(x, p=self.activation_dropout, training=self.training)
            x = self.fc2(x)
            x = F.dropout(x, p=self.dropout, training=self.training)
            x = residual + x
        else:
            x, attn = self.self_attn(x, x, x, key_padding_mask=self_attn_padding_mask, need_weights=False)
            x = F.dropout(x, p=self.dropout, training=self.training)
            x = residual + x
            x = self.self_attn_layer_norm(x)
            residual = x
            x = F.gelu(self.fc1(x))
            x = F.dropout(x, p=self.activation_dropout, training=self.training)
            x = self.fc2(x)
            x = F.dropout(x, p=self.dropout, training=self.training)
            x = residual + x
            x = self.final_layer_norm(x)
        return x, attn


class TransformerEncoder(nn.Module):
    def __init__(self, embed_dim=768, depth=12, conv_pos=128, conv_pos_groups=16, dropout=0.1,
                 layer_norm_first=False):
        super().__init__()
        self.dropout = dropout
        self.pos_conv = nn.Conv1d(embed_dim, embed_dim, kernel_size=conv_pos, padding=conv_pos // 2,
                                  groups=conv_pos_groups)
        nn.init.normal_(self.pos_conv.weight, mean=0, std=(4 / (conv_pos * embed_dim)) ** 0.5)
        nn.init.constant_(self.pos_conv.bias, 0)
        self.pos_conv = nn.utils.weight_norm(self.pos_conv, name="weight", dim=2)
        self.pos_conv = nn.Sequential(self.pos_conv, SamePad(conv_pos), nn.GELU())

        self.layers = nn.ModuleList([TransformerSentenceEncoderLayer(embed_dim, 4 * embed_dim, dropout=dropout,
                                                                     layer_norm_first=layer_norm_first)
                                     for _ in range(depth)])
        self.layer_norm_first = layer_norm_first
        self.layer_norm = nn.LayerNorm(embed_dim)

    def forward(self, x, padding_mask=None):
        if padding_mask is not None:
            x = x.masked_fill(padding_mask.unsqueeze(-1), 0)
        x_conv = self.pos_conv(x.transpose(1, 2)).transpose(1, 2)
        x = x + x_conv
        if not self.layer_norm_first:
            x = self.layer_norm(x)
        x = F.dropout(x, p=self.dropout, training=self.training)

        # B x T x C -> T x B x C
        x = x.transpose(0, 1)
        for layer in self.layers:
            x, _ = layer(x, self_attn_padding_mask=padding_mask)
        x = x.transpose(0, 1)
        if self.layer_norm_first:
            x = self.layer_norm(x)
        return x


class Wav2Vec2ForCTC(nn.Module):
    def __init__(self, vocab_size=32, conv_feature_layers=[(512, 10, 5)] + [(512, 3, 2)] * 4 + [(512, 2, 2)] * 2,
                 extractor_mode="default", encoder_embed_dim=768, encoder_layers=12, layer_norm_first=False,
                 feature_grad_mult=0.1, dropout_input=0.1):
        super().__init__()
        self.embed = conv_feature_layers[-1][0]
        self.feature_extractor = ConvFeatureExtractionModel(conv_feature_layers, mode=extractor_mode)
        self.post_extract_proj = (nn.Linear(self.embed, encoder_embed_dim)
                                  if self.embed != encoder_embed_dim else None)
        self.feature_grad_mult = feature_grad_mult
        self.layer_norm = nn.LayerNorm(self.embed)
        self.dropout_input = nn.Dropout(dropout_input)
        self.encoder = TransformerEncoder(encoder_embed_dim, encoder_layers, layer_norm_first=layer_norm_first)
        self.final_proj = nn.Linear(encoder_embed_dim, vocab_size)

    def forward(self, source):
        features = self.feature_extractor(source)
        if self.feature_grad_mult != 1.0:
            features = GradMultiply.apply(features, self.feature_grad_mult)
        features = self.layer_norm(features.transpose(1, 2))
        if self.post_extract_proj is not None:
            features = self.post_extract_proj(features)
        features = self.dropout_input(features)
        x = self.encoder(features)
        return F.log_softmax(self.final_proj(x), dim=-1)
