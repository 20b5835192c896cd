"""Mask R-CNN RoI heads, written the way torchvision's roi_heads.py writes them: `has_mask()` checks the optional
mask branch, training runs the mask head on the positive proposals only (a batch without positives still calls it, on
zero rows, and the loss returns `mask_logits.sum() * 0`), and eval post-processes without touching any loss."""
from collections import OrderedDict
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F
from torch import Tensor
from torch import nn


def box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    area1 = (boxes1[:, 2] - boxes1[:, 0]) * (boxes1[:, 3] - boxes1[:, 1])
    area2 = (boxes2[:, 2] - boxes2[:, 0]) * (boxes2[:, 3] - boxes2[:, 1])
    lt = torch.max(boxes1[:, None, :2], boxes2[:, :2])
    rb = torch.min(boxes1[:, None, 2:], boxes2[:, 2:])
    inter = (rb - lt).clamp(min=0).prod(dim=2)
    return inter / (area1[:, None] + area2 - inter)


def roi_align(input: Tensor, rois: Tensor, output_size: int, spatial_scale: float) -> Tensor:
    """Bilinear RoI crops through affine grids (differentiable with respect to `input`)."""
    x1, y1, x2, y2 = (rois[:, 1:] * spatial_scale).unbind(1)
    H, W = input.shape[-2:]
    zero = torch.zeros_like(x1)
    theta = torch.stack([(x2 - x1) / W, zero, (x1 + x2) / W - 1,
                         zero, (y2 - y1) / H, (y1 + y2) / H - 1], 1).view(-1, 2, 3)
    grid = F.affine_grid(theta, [rois.shape[0], input.shape[1], output_size, output_size], align_corners=False)
    return F.grid_sample(input[rois[:, 0].long()], grid, align_corners=False)


class RoIAlign(nn.Module):
    def __init__(self, output_size: int, spatial_scale: float):
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale

    def forward(self, features: Tensor, proposals: List[Tensor]) -> Tensor:
        ids = torch.cat([torch.full_like(b[:, :1], i) for i, b in enumerate(proposals)], dim=0)
        rois = torch.cat([ids, torch.cat(proposals, dim=0)], dim=1)
        return roi_align(features, rois, self.output_size, self.spatial_scale)


class TwoMLPHead(nn.Module):
    def __init__(self, in_channels, representation_size):
        super().__init__()
        self.fc6 = nn.Linear(in_channels, representation_size)
        self.fc7 = nn.Linear(representation_size, representation_size)

    def forward(self, x):
        x = x.flatten(start_dim=1)
        x = F.relu(self.fc6(x))
        x = F.relu(self.fc7(x))
        return x


class FastRCNNPredictor(nn.Module):
    def __init__(self, in_channels, num_classes):
        super().__init__()
        self.cls_score = nn.Linear(in_channels, num_classes)
        self.bbox_pred = nn.Linear(in_channels, num_classes * 4)

    def forward(self, x):
        x = x.flatten(start_dim=1)
        return self.cls_score(x), self.bbox_pred(x)


class MaskRCNNHeads(nn.Sequential):
    def __init__(self, in_channels, layers, dilation=1):
        d = OrderedDict()
        next_feature = in_channels
        for layer_idx, layer_features in enumerate(layers, 1):
            d[f"mask_fcn{layer_idx}"] = nn.Conv2d(next_feature, layer_features, 3, padding=dilation, dilation=dilation)
            d[f"relu{layer_idx}"] = nn.ReLU(inplace=True)
            next_feature = layer_features
        super().__init__(d)


class MaskRCNNPredictor(nn.Sequential):
    def __init__(self, in_channels, dim_reduced, num_classes):
        super().__init__(OrderedDict([
            ("conv5_mask", nn.ConvTranspose2d(in_channels, dim_reduced, 2, 2, 0)),
            ("relu", nn.ReLU(inplace=True)),
            ("mask_fcn_logits", nn.Conv2d(dim_reduced, num_classes, 1, 1, 0)),
        ]))


def fastrcnn_loss(class_logits, box_regression, labels, regression_targets):
    labels, regression_targets = torch.cat(labels, dim=0), torch.cat(regression_targets, dim=0)
    classification_loss = F.cross_entropy(class_logits, labels)
    sampled_pos_inds_subset = torch.where(labels > 0)[0]
    labels_pos = labels[sampled_pos_inds_subset]
    N, num_classes = class_logits.shape
    box_regression = box_regression.reshape(N, box_regression.size(-1) // 4, 4)
    box_loss = F.smooth_l1_loss(box_regression[sampled_pos_inds_subset, labels_pos],
                                regression_targets[sampled_pos_inds_subset], beta=1 / 9, reduction="sum")
    return classification_loss, box_loss / labels.numel()


def project_masks_on_boxes(gt_masks, boxes, matched_idxs, M):
    matched_idxs = matched_idxs.to(boxes)
    rois = torch.cat([matched_idxs[:, None], boxes], dim=1)
    gt_masks = gt_masks[:, None].to(rois)
    return roi_align(gt_masks, rois, M, 1.0)[:, 0]


def maskrcnn_loss(mask_logits, proposals, gt_masks, gt_labels, mask_matched_idxs):
    discretization_size = mask_logits.shape[-1]
    labels = torch.cat([gt_label[idxs] for gt_label, idxs in zip(gt_labels, mask_matched_idxs)], dim=0)
    mask_targets = torch.cat([project_masks_on_boxes(m, p, i, discretization_size)
                              for m, p, i in zip(gt_masks, proposals, mask_matched_idxs)], dim=0)
    # torch.mean (in binary_cross_entropy_with_logits) doesn't accept empty tensors, so handle it separately
    if mask_targets.numel() == 0:
        return mask_logits.sum() * 0
    return F.binary_cross_entropy_with_logits(
        mask_logits[torch.arange(labels.shape[0], device=labels.device), labels], mask_targets)


class RoIHeads(nn.Module):
    def __init__(self, box_roi_pool, box_head, box_predictor, fg_iou_thresh=0.5, batch_size_per_image=64,
                 mask_roi_pool=None, mask_head=None, mask_predictor=None):
        super().__init__()
        self.box_roi_pool = box_roi_pool
        self.box_head = box_head
        self.box_predictor = box_predictor
        self.fg_iou_thresh = fg_iou_thresh
        self.batch_size_per_image = batch_size_per_image
        self.mask_roi_pool = mask_roi_pool
        self.mask_head = mask_head
        self.mask_predictor = mask_predictor

    def has_mask(self):
        if self.mask_roi_pool is None:
            return False
        if self.mask_head is None:
            return False
        if self.mask_predictor is None:
            return False
        return True

    def select_training_samples(self, proposals, targets):
        out_props, matched, labels, reg_targets = [], [], [], []
        for props, t in zip(proposals, targets):
            props = torch.cat([props, t["boxes"]])  # add gt boxes to the proposals
            iou, idx = box_iou(props, t["boxes"]).max(dim=1)
            keep = torch.randperm(props.shape[0], device=props.device)[: self.batch_size_per_image]
            props, iou, idx = props[keep], iou[keep], idx[keep]
            lab = t["labels"][idx] * (iou >= self.fg_iou_thresh).long()
            delta = (t["boxes"][idx] - props) / (props[:, 2:] - props[:, :2]).repeat(1, 2)
            out_props.append(props); matched.append(idx); labels.append(lab); reg_targets.append(delta)
        return out_props, matched, labels, reg_targets

    def forward(self, features: Tensor, proposals: List[Tensor], targets: Optional[List[Dict[str, Tensor]]] = None):
        if self.training:
            if targets is None:
                raise ValueError("targets should not be None when in training mode")
            proposals, matched_idxs, labels, regression_targets = self.select_training_samples(proposals, targets)
        else:
            labels = regression_targets = matched_idxs = None
        box_features = self.box_head(self.box_roi_pool(features, proposals))
        class_logits, box_regression = self.box_predictor(box_features)
        result: List[Dict[str, Tensor]] = []
        losses = {}
        if self.training:
            loss_classifier, loss_box_reg = fastrcnn_loss(class_logits, box_regression, labels, regression_targets)
            losses = {"loss_classifier": loss_classifier, "loss_box_reg": loss_box_reg}
        else:
            scores, cls = F.softmax(class_logits, -1)[:, 1:].max(dim=-1)
            sizes = [len(p) for p in proposals]
            for boxes, s, c in zip(proposals, scores.split(sizes), cls.split(sizes)):
                result.append({"boxes": boxes, "labels": c + 1, "scores": s})
        if self.has_mask():
            mask_proposals = [p["boxes"] for p in result]
            if self.training:
                mask_proposals, pos_matched_idxs = [], []
                for img_id in range(len(proposals)):
                    pos = torch.where(labels[img_id] > 0)[0]
                    mask_proposals.append(proposals[img_id][pos])
                    pos_matched_idxs.append(matched_idxs[img_id][pos])
            mask_features = self.mask_head(self.mask_roi_pool(features, mask_proposals))
            mask_logits = self.mask_predictor(mask_features)
            if self.training:
                losses["loss_mask"] = maskrcnn_loss(mask_logits, mask_proposals, [t["masks"] for t in targets],
                                                    [t["labels"] for t in targets], pos_matched_idxs)
            else:
                for mask_prob, r in zip(mask_logits.sigmoid().split([len(p) for p in mask_proposals]), result):
                    r["masks"] = mask_prob
        return result, losses


class MaskRCNNLite(nn.Module):
    def __init__(self, num_classes=5, out_channels=64, representation_size=256):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, out_channels, 3, 2, 1), nn.ReLU(inplace=True),
                                      nn.Conv2d(out_channels, out_channels, 3, 2, 1), nn.ReLU(inplace=True))
        self.roi_heads = RoIHeads(
            RoIAlign(7, 0.25), TwoMLPHead(out_channels * 7 * 7, representation_size),
            FastRCNNPredictor(representation_size, num_classes),
            mask_roi_pool=RoIAlign(14, 0.25), mask_head=MaskRCNNHeads(out_channels, (64, 64)),
            mask_predictor=MaskRCNNPredictor(64, 64, num_classes))

    def forward(self, images: Tensor, proposals: List[Tensor], targets=None):
        detections, losses = self.roi_heads(self.backbone(images), proposals, targets)
        return losses if self.training else detections
