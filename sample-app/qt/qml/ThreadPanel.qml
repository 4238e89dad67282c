import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Confab

// A thread beside the timeline: its root, its replies, and a composer that replies there.
Rectangle {
    id: panel
    objectName: "threadPanel"
    property string conversationId
    property string rootId
    property string rootSenderId
    property string rootSender
    property string rootText
    signal closed()
    color: Theme.background

    Rectangle { width: 1; height: parent.height; color: Theme.divider }

    ColumnLayout {
        anchors.fill: parent
        anchors.leftMargin: 1
        spacing: 0

        RowLayout {
            Layout.fillWidth: true
            Layout.preferredHeight: 60
            Layout.leftMargin: 18
            Layout.rightMargin: 10
            Text {
                text: qsTr("Thread")
                color: Theme.text
                font.family: Theme.fontFamily
                font.pixelSize: Theme.fontSize + 3
                font.weight: Font.Bold
                Layout.fillWidth: true
            }
            IconButton { glyph: "\u2715"; tip: qsTr("Close the thread"); onClicked: panel.closed() }
        }
        Rectangle { Layout.fillWidth: true; height: 1; color: Theme.divider }

        // The root.
        ColumnLayout {
            Layout.fillWidth: true
            Layout.margins: 18
            spacing: 6
            RowLayout {
                spacing: 10
                Avatar { userId: panel.rootSenderId; name: panel.rootSender; size: 28 }
                Text {
                    text: panel.rootSender
                    color: Theme.text
                    font.family: Theme.fontFamily
                    font.pixelSize: Theme.fontSize
                    font.weight: Font.DemiBold
                }
            }
            Text {
                Layout.fillWidth: true
                text: panel.rootText
                wrapMode: Text.Wrap
                color: Theme.text
                font.family: Theme.fontFamily
                font.pixelSize: Theme.fontSize
            }
            Text {
                text: replies.model && replies.model.count > 0
                      ? (replies.model.count === 1 ? qsTr("1 reply") : qsTr("%1 replies").arg(replies.model.count))
                      : qsTr("No replies yet")
                color: Theme.textMuted
                font.family: Theme.fontFamily
                font.pixelSize: Theme.smallFontSize
            }
        }
        Rectangle { Layout.fillWidth: true; height: 1; color: Theme.divider }

        Timeline {
            id: replies
            Layout.fillWidth: true
            Layout.fillHeight: true
            inThread: true
            conversationId: panel.conversationId
            model: panel.rootId !== "" ? app.thread(panel.conversationId, panel.rootId) : null
            onEditRequested: (id, local, text) => threadComposer.startEdit(id, local, text)
        }

        Composer {
            id: threadComposer
            Layout.fillWidth: true
            conversationId: panel.conversationId
            threadRootId: panel.rootId
            timelineModel: replies.model
            placeholder: qsTr("Reply in the thread")
        }
    }
}
